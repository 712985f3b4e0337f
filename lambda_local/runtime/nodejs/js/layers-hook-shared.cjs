/* The fallback resolution of bare specifiers through NODE_PATH folders, shared by both hook styles. */
'use strict';

const RELATIVE = /^(\.{0,2}\/|[a-zA-Z][a-zA-Z0-9+.-]*:)/;  // ./x, ../x, /x, file:, node:, data:

function isBare(specifier) {
  return !RELATIVE.test(specifier) && !specifier.startsWith('#');
}

function notFound(error) {
  return error && (error.code === 'ERR_MODULE_NOT_FOUND' || error.code === 'MODULE_NOT_FOUND');
}

const HOOK_FILES = /layers-hook(-shared\.cjs|\.mjs):/;

/**
 * The error as Node.js reports it without this hook: its frames, and the nextResolve each one called, are dropped
 * from the stack (a missing package's stack then shows Node.js's own resolution only, as on Lambda).
 */
function withoutHookFrames(error) {
  if (!error || typeof error.stack !== 'string') return error;
  const lines = error.stack.split('\n');
  const kept = [];
  for (const line of lines) {
    if (HOOK_FILES.test(line)) {
      if (kept.length && /^\s+at nextResolve /.test(kept[kept.length - 1])) kept.pop();
      continue;
    }
    kept.push(line);
  }
  if (kept.length !== lines.length) error.stack = kept.join('\n');
  return error;
}

/** A synchronous resolve hook (module.registerHooks). */
function resolveSync(parents) {
  return function resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (!notFound(error) || !isBare(specifier)) throw withoutHookFrames(error);
      for (const parentURL of parents) {
        try {
          return nextResolve(specifier, { ...context, parentURL });
        } catch (again) {
          if (!notFound(again)) throw withoutHookFrames(again);
        }
      }
      throw withoutHookFrames(error);
    }
  };
}

module.exports = { isBare, notFound, resolveSync, withoutHookFrames };
