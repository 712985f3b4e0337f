"""rpds's immutable collections in pure Python, for the browser (rpds-py has no wasm build on PyPI).

Copy-on-write instead of shared tries: every change copies, which is fine for what uses them here (jsonschema's and
referencing's small registries of schemas), not for large collections.
"""

from collections.abc import Mapping, Set

__all__ = ["HashTrieMap", "HashTrieSet", "List", "Queue", "Stack"]


class HashTrieMap(Mapping):
    """An immutable mapping: ``insert``, ``remove``, ``discard`` and ``update`` return new maps."""

    __slots__ = ("_data",)

    def __init__(self, value=(), **kwds):
        data = dict(value)
        data.update(kwds)
        object.__setattr__(self, "_data", data)

    @classmethod
    def convert(cls, value):
        return value if isinstance(value, cls) else cls(value)

    @classmethod
    def fromkeys(cls, keys, value=None):
        return cls(dict.fromkeys(keys, value))

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __hash__(self):
        return hash(frozenset(self._data.items()))

    def __eq__(self, other):
        return isinstance(other, Mapping) and dict(self._data) == dict(other.items())

    def __repr__(self):
        return f"HashTrieMap({self._data!r})"

    def __reduce__(self):
        return (HashTrieMap, (self._data,))

    def insert(self, key, value):
        return HashTrieMap({**self._data, key: value})

    def remove(self, key):
        if key not in self._data:
            raise KeyError(key)
        return self.discard(key)

    def discard(self, key):
        data = dict(self._data)
        data.pop(key, None)
        return HashTrieMap(data)

    def update(self, *maps, **kwds):
        data = dict(self._data)
        for each in maps:
            data.update(each)
        data.update(kwds)
        return HashTrieMap(data)


class HashTrieSet(Set):
    """An immutable set: ``insert``, ``remove``, ``discard`` and ``update`` return new sets."""

    __slots__ = ("_data",)

    def __init__(self, value=()):
        object.__setattr__(self, "_data", frozenset(value))

    @classmethod
    def _from_iterable(cls, it):
        return cls(it)

    def __contains__(self, item):
        return item in self._data

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __hash__(self):
        return hash(self._data)

    def __repr__(self):
        return f"HashTrieSet({set(self._data)!r})"

    def insert(self, value):
        return HashTrieSet(self._data | {value})

    def remove(self, value):
        if value not in self._data:
            raise KeyError(value)
        return self.discard(value)

    def discard(self, value):
        return HashTrieSet(self._data - {value})

    def update(self, *iterables):
        data = set(self._data)
        for each in iterables:
            data.update(each)
        return HashTrieSet(data)

    def union(self, *iterables):
        return self.update(*iterables)


class List:
    """An immutable singly linked list: ``push_front`` returns a new list, ``first``/``rest`` read it."""

    __slots__ = ("_items",)

    def __init__(self, *items):
        if len(items) == 1 and not isinstance(items[0], (str, bytes)) and hasattr(items[0], "__iter__"):
            items = tuple(items[0])
        object.__setattr__(self, "_items", tuple(items))

    def push_front(self, value):
        return List((value, *self._items))

    def drop_first(self):
        return List(self._items[1:])

    @property
    def first(self):
        if not self._items:
            raise IndexError("empty list has no first element")
        return self._items[0]

    @property
    def rest(self):
        return List(self._items[1:])

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def __reversed__(self):
        return reversed(self._items)

    def __eq__(self, other):
        return isinstance(other, List) and self._items == other._items

    def __hash__(self):
        return hash(self._items)

    def __repr__(self):
        return f"List({list(self._items)!r})"


class Queue:
    """An immutable FIFO queue."""

    __slots__ = ("_items",)

    def __init__(self, *items):
        if len(items) == 1 and hasattr(items[0], "__iter__"):
            items = tuple(items[0])
        object.__setattr__(self, "_items", tuple(items))

    def enqueue(self, value):
        return Queue((*self._items, value))

    def dequeue(self):
        if not self._items:
            raise IndexError("dequeued an empty queue")
        return Queue(self._items[1:])

    @property
    def peek(self):
        if not self._items:
            raise IndexError("peeked an empty queue")
        return self._items[0]

    @property
    def is_empty(self):
        return not self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def __eq__(self, other):
        return isinstance(other, Queue) and self._items == other._items

    def __hash__(self):
        return hash(self._items)


class Stack(List):
    """An immutable LIFO stack."""

    def push(self, value):
        return Stack((value, *self._items))

    def pop(self):
        return Stack(self._items[1:])

    def peek(self):
        return self.first
