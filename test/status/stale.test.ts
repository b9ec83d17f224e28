import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CheckStatus } from '../../src/api/check.js';
import { findCondition, isStale, lastProbeTime, markStale, record } from '../../src/runtime/status/reducer.js';
import { assertValidStatus, at, clock, ok, refused } from './helpers.js';

const TEN_MINUTES = 600_000;
const probed = (results: ReturnType<typeof ok>[]): CheckStatus =>
  results.reduce<CheckStatus | undefined>((status, result) => record(status, result).status, undefined)!;

const healthy = probed([ok('20:00:00'), refused('20:01:00')]);
const markedStale = markStale(healthy, at('20:01:00'), at('20:30:00'), TEN_MINUTES);

interface StaleCase {
  name: string;
  status: CheckStatus;
  lastProbe?: string;
  createdAt?: string;
  now: string;
  /** The Stale condition expected (clock of lastTransitionTime as `since`), or undefined for none. */
  expected: { message: string; since: string } | undefined;
  /** markStale must hand back the very same object when nothing changes. */
  unchanged?: boolean;
}

const cases: StaleCase[] = [
  {
    name: 'a recent probe: not stale, nothing changes',
    status: healthy,
    lastProbe: '20:01:00',
    now: '20:05:00',
    expected: undefined,
    unchanged: true,
  },
  {
    name: 'exactly staleAfter old: not stale yet',
    status: healthy,
    lastProbe: '20:01:00',
    now: '20:11:00',
    expected: undefined,
    unchanged: true,
  },
  {
    name: 'no probe for longer than staleAfter: Stale from the moment it became stale',
    status: healthy,
    lastProbe: '20:01:00',
    now: '20:30:00',
    expected: { message: 'no source has probed this check since 2021-01-13T20:01:00Z', since: '20:11:00' },
  },
  {
    name: 'already marked for the same probe: the same object',
    status: markedStale,
    lastProbe: '20:01:00',
    now: '20:45:00',
    expected: { message: 'no source has probed this check since 2021-01-13T20:01:00Z', since: '20:11:00' },
    unchanged: true,
  },
  {
    name: 'a probe after being stale clears the condition',
    status: markedStale,
    lastProbe: '20:44:00',
    now: '20:45:00',
    expected: undefined,
  },
  {
    name: 'never probed, created recently: not stale',
    status: {},
    createdAt: '20:00:00',
    now: '20:05:00',
    expected: undefined,
    unchanged: true,
  },
  {
    name: 'never probed, created long ago: stale since creation + staleAfter',
    status: {},
    createdAt: '20:00:00',
    now: '20:30:00',
    expected: { message: 'no source has probed this check since 2021-01-13T20:00:00Z', since: '20:10:00' },
  },
  {
    name: 'never probed, creation unknown: stale now',
    status: {},
    now: '20:30:00',
    expected: { message: 'no source has probed this check', since: '20:30:00' },
  },
];

describe('markStale', () => {
  for (const { name, status, lastProbe, createdAt, now, expected, unchanged } of cases) {
    test(name, () => {
      const marked = markStale(
        status,
        lastProbe ? at(lastProbe) : undefined,
        at(now),
        TEN_MINUTES,
        createdAt ? at(createdAt) : undefined,
      );
      assertValidStatus(marked);
      const stale = findCondition(marked, 'Stale');
      assert.deepEqual(stale && { message: stale.message, since: clock(stale.lastTransitionTime) }, expected);
      if (stale) assert.deepEqual([stale.status, stale.reason], ['True', 'NoRecentProbe']);
      if (unchanged) assert.equal(marked, status);
      assert.deepEqual(
        findCondition(marked, 'Reachable'),
        findCondition(status, 'Reachable'),
        'Reachable must be untouched',
      );
    });
  }

  test('Stale keeps its place among the conditions and Reachable keeps working', () => {
    const afterProbe = record(markedStale, ok('20:44:00')).status;
    assert.deepEqual(
      afterProbe.conditions?.map((condition) => condition.type),
      ['Reachable', 'Stale'],
    );
    assert.equal(markStale(afterProbe, lastProbeTime(afterProbe), at('20:45:00'), TEN_MINUTES).conditions?.length, 1);
  });
});

describe('isStale', () => {
  const table: Array<{ name: string; status: CheckStatus; now: string; createdAt?: string; stale: boolean }> = [
    { name: 'newest entry is a failure within staleAfter', status: healthy, now: '20:10:59', stale: false },
    { name: 'newest entry older than staleAfter', status: healthy, now: '20:11:01', stale: true },
    {
      name: 'the newest of successes and failures counts',
      status: probed([refused('20:00:00'), ok('20:09:00')]),
      now: '20:15:00',
      stale: false,
    },
    { name: 'never probed, measured from creation', status: {}, createdAt: '20:00:00', now: '20:09:00', stale: false },
    { name: 'never probed, old', status: {}, createdAt: '20:00:00', now: '20:10:01', stale: true },
    { name: 'never probed, no creation time', status: {}, now: '20:00:00', stale: true },
  ];
  for (const { name, status, now, createdAt, stale } of table) {
    test(name, () => assert.equal(isStale(status, at(now), TEN_MINUTES, createdAt ? at(createdAt) : undefined), stale));
  }
});
