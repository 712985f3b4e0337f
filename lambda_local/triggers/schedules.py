"""EventBridge schedule expressions, validated with AWS's rules, and the times they fire on the virtual clock.

``rate(value unit)``: a positive whole number and minute(s), hour(s) or day(s) — singular exactly when the value is 1.
``cron(minutes hours day-of-month month day-of-week year)``: six fields, UTC, one-minute precision; one of the two
day fields must be ``?``; day-of-week 1-7 is SUN-SAT; ``L``, ``W`` and ``#`` as AWS documents them.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

__all__ = ["Schedule", "parse_schedule", "InvalidSchedule"]


class InvalidSchedule(ValueError):
    """AWS answers these with ValidationException: Parameter ScheduleExpression is not valid."""


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: i for i, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}


@dataclass(frozen=True)
class Schedule:
    expression: str
    period_s: float | None = None  # rate()
    fields: tuple | None = None  # cron(): the six raw fields

    def next_after(self, start: float, previous: float | None = None, zone: tzinfo = timezone.utc) -> float:
        """Epoch seconds of the next firing strictly after ``previous`` (or after ``start`` for the first); a cron
        expression is read in ``zone`` (EventBridge Scheduler's ScheduleExpressionTimezone; rules use UTC)."""
        if self.period_s is not None:
            return (previous if previous is not None else start) + self.period_s
        after = datetime.fromtimestamp(previous if previous is not None else start, zone)
        assert self.fields is not None  # a cron expression (a rate has period_s)
        return _next_cron(self.fields, after).timestamp()


def parse_schedule(expression: str) -> Schedule:
    """Validate a schedule expression as EventBridge does and return it parsed."""
    expression = (expression or "").strip()
    match = _RATE.match(expression)
    if match:
        value, unit = int(match.group(1)), match.group(2)
        if value <= 0 or (value == 1) != (not unit.endswith("s")):
            raise InvalidSchedule(expression)
        return Schedule(expression, period_s=value * _UNITS[unit.rstrip("s")])
    if expression.startswith("cron(") and expression.endswith(")"):
        fields = tuple(expression[5:-1].split())
        if len(fields) != 6:
            raise InvalidSchedule(expression)
        _check_cron(fields, expression)
        return Schedule(expression, fields=fields)
    raise InvalidSchedule(expression)


# --- cron ------------------------------------------------------------------------------------------------------------
def _names(token: str, names: dict[str, int]) -> str:
    for name, number in names.items():
        token = token.upper().replace(name, str(number))
    return token


def _expand(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """Values a plain cron field (no L/W/#) allows."""
    values: set[int] = set()
    for part in field.split(","):
        part = _names(part, names) if names else part
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
            if step <= 0:
                raise ValueError(step)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            start_text, end_text = part.split("-", 1)
            start, end = int(start_text), int(end_text)
        else:
            start = int(part)
            end = high if step != 1 else start
        if not (low <= start <= high and low <= end <= high):
            raise ValueError(part)
        if end < start:  # wrap-around ranges such as FRI-MON
            values.update(range(start, high + 1, step))
            values.update(range(low, end + 1, step))
        else:
            values.update(range(start, end + 1, step))
    return values


def _check_cron(fields: tuple, expression: str) -> None:
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise InvalidSchedule(expression)  # exactly one of the day fields must be '?'
    try:
        _expand(minutes, 0, 59)
        _expand(hours, 0, 23)
        _expand(month, 1, 12, _MONTHS)
        _expand(year, 1970, 2199)
        if dom != "?":
            _day_of_month_matcher(dom)
        if dow != "?":
            _day_of_week_matcher(dow)
    except (ValueError, IndexError):
        raise InvalidSchedule(expression) from None


def _day_of_month_matcher(field: str):
    if field == "L":
        return lambda d: d.day == calendar.monthrange(d.year, d.month)[1]
    if field.endswith("W"):
        target = int(field[:-1])
        if not 1 <= target <= 31:
            raise ValueError(field)
        return lambda d: d.day == _nearest_weekday(d.year, d.month, target)
    allowed = _expand(field, 1, 31)
    return lambda d: d.day in allowed


def _nearest_weekday(year: int, month: int, day: int) -> int:
    last = calendar.monthrange(year, month)[1]
    day = min(day, last)
    weekday = calendar.weekday(year, month, day)  # Monday = 0
    if weekday == 5:  # Saturday: Friday before, unless that leaves the month
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday after, unless that leaves the month
        return day + 1 if day < last else day - 2
    return day


def _aws_weekday(d: datetime) -> int:
    return (d.weekday() + 1) % 7 + 1  # SUN=1 ... SAT=7


def _day_of_week_matcher(field: str):
    field = _names(field, _DAYS)
    if "#" in field:
        day_text, nth_text = field.split("#", 1)
        day, nth = int(day_text), int(nth_text)
        if not (1 <= day <= 7 and 1 <= nth <= 5):
            raise ValueError(field)
        return lambda d: _aws_weekday(d) == day and (d.day - 1) // 7 + 1 == nth
    if field.endswith("L"):
        day = int(field[:-1]) if field[:-1] else 7
        if not 1 <= day <= 7:
            raise ValueError(field)
        return lambda d: _aws_weekday(d) == day and d.day + 7 > calendar.monthrange(d.year, d.month)[1]
    allowed = _expand(field, 1, 7)
    return lambda d: _aws_weekday(d) in allowed


def _next_cron(fields: tuple, after: datetime) -> datetime:
    minutes_f, hours_f, dom, month_f, dow, year_f = fields
    minutes, hours = sorted(_expand(minutes_f, 0, 59)), sorted(_expand(hours_f, 0, 23))
    months, years = _expand(month_f, 1, 12, _MONTHS), _expand(year_f, 1970, 2199)
    day_ok = _day_of_month_matcher(dom) if dom != "?" else _day_of_week_matcher(dow)
    moment = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    day = moment.replace(hour=0, minute=0)
    for _ in range(366 * 30):  # days: enough for any schedule with a future firing
        if day.year > max(years):
            break
        if day.year in years and day.month in months and day_ok(day):
            for hour in hours:
                for minute in minutes:
                    candidate = day.replace(hour=hour, minute=minute)
                    if candidate >= moment:
                        return candidate
        day += timedelta(days=1)
    return datetime.max.replace(tzinfo=timezone.utc)  # never fires again
