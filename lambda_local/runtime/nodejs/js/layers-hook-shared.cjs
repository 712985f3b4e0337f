/* The fallback resolution of bare specifiers through NODE_PATH folders, shared by both hook styles. */
'use strict';

const RELATIVE = /^(\.{0,2}\/|[a-zA-Z][a-zA-Z0-9+.-]*:)/;  // ./x, ../x, /x, file:, node:, data:

function isBare(specifier) {
  return !RELATIVE.test(specifier) && !specifier.startsWith('#');
}

function notFound(error) {
  return error && (error.code === 'ERR_MODULE_NOT_FOUND' || error.code === 'MODULE_NOT_FOUND');
}

/** A synchronous resolve hook (module.registerHooks). */
function resolveSync(parents) {
  return function resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (!notFound(error) || !isBare(specifier)) throw error;
      for (const parentURL of parents) {
        try {
          return nextResolve(specifier, { ...context, parentURL });
        } catch (again) {
          if (!notFound(again)) throw again;
        }
      }
      throw error;
    }
  };
}

module.exports = { isBare, notFound, resolveSync };
