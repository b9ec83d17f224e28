/**
 * Object names and label values derived from topology names. Pure and stable: the same input always gives
 * the same name, so a check keeps its identity (and its status history) across runs.
 */

import { MAX_NAME, shortHash, slug, truncateWithHash } from '../api/labels.js';

/** Slugs for a set of node names, unique within the set: names whose slugs collide get a hash suffix. */
export function uniqueSlugs(names: readonly string[]): Map<string, string> {
  const byslug = new Map<string, string[]>();
  for (const name of names) {
    const key = slug(name);
    byslug.set(key, [...(byslug.get(key) ?? []), name]);
  }
  const result = new Map<string, string>();
  for (const [key, owners] of byslug) {
    for (const owner of owners) result.set(owner, owners.length === 1 ? key : `${key}-${shortHash(owner, 6)}`);
  }
  return result;
}

/** `<source>[-<node>]-to-<target>[-<node>]`, within the 253-character limit of an object name. */
export function checkName(sourcePart: string, targetPart: string): string {
  return truncateWithHash(`${sourcePart}-to-${targetPart}`, MAX_NAME);
}
