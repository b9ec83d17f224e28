/**
 * Size limits checked on the parsed data before the schema sees it: validation and its messages cost time per item,
 * so a list of a million entries or a mapping of 100,000 unknown keys is refused at once, with its path.
 */
import { formatPath, type TopologyProblem } from './issues.js';

/** More nodes than any cluster has (Kubernetes supports 5,000). */
export const MAX_LIST_ITEMS = 10_000;
/** Far more keys than any mapping of the topology has (labels: 64). */
export const MAX_MAP_KEYS = 1_000;

export function sizeProblem(data: unknown): TopologyProblem | undefined {
  const stack: { value: unknown; segments: PropertyKey[] }[] = [{ value: data, segments: [] }];
  while (stack.length > 0) {
    const { value, segments } = stack.pop()!;
    if (Array.isArray(value)) {
      if (value.length > MAX_LIST_ITEMS)
        return {
          path: formatPath(segments),
          segments,
          message: `a list of ${value.length} items; at most ${MAX_LIST_ITEMS} are supported`,
        };
      value.forEach((item, i) => stack.push({ value: item, segments: [...segments, i] }));
    } else if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      if (keys.length > MAX_MAP_KEYS)
        return {
          path: formatPath(segments),
          segments,
          message: `a mapping of ${keys.length} keys; at most ${MAX_MAP_KEYS} are supported`,
        };
      for (const key of keys)
        stack.push({ value: (value as Record<string, unknown>)[key], segments: [...segments, key] });
    }
  }
  return undefined;
}
