/* Module customization hook (module.register, Node.js 20): bare specifiers fall back to the NODE_PATH folders. */
import shared from './layers-hook-shared.cjs';

let parents = [];

export function initialize(data) {
  parents = data.parents;
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (!shared.notFound(error) || !shared.isBare(specifier)) throw shared.withoutHookFrames(error);
    for (const parentURL of parents) {
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch (again) {
        if (!shared.notFound(again)) throw shared.withoutHookFrames(again);
      }
    }
    throw shared.withoutHookFrames(error);
  }
}
