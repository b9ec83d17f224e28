import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CheckStatus } from '../../src/api/check.js';
import {
  findCondition,
  record,
  statusPolicy,
  type OutageTransition,
  type StatusPolicy,
} from '../../src/runtime/status/reducer.js';
import { formatTime, formatTimeNano } from '../../src/runtime/status/time.js';
import type { ProbeResult } from '../../src/runtime/types.js';
import {
  assertValidStatus,
  at,
  clock,
  clockAfter,
  clocks,
  clockSeries,
  describeEntry,
  invalid,
  MESSAGES,
  ok,
  refused,
  rfc,
  timeout,
} from './helpers.js';

interface ExpectedOutage {
  start: string;
  end?: string;
  message: string;
  startLogs?: string[];
  endLogs?: string[];
}

interface Expected {
  successes?: string[];
  failures?: string[];
  outages?: ExpectedOutage[];
  outageCount?: number;
  /** Clock strings of the outage starts, newest first. */
  outageStarts?: string[];
  reachable?: { status: string; reason: string; since: string; message?: string };
  conditionTypes?: string[];
  transitions?: Array<OutageTransition | undefined>;
  confirmRetries?: Array<number | undefined>;
}

interface Case {
  name: string;
  initial?: CheckStatus;
  results: ProbeResult[];
  policy?: Partial<StatusPolicy>;
  expected: Expected;
}

/** `count` outages, each two refused probes 5 s apart and a success, one per 10 minutes from 20:00. */
function outageSeries(count: number): ProbeResult[] {
  return clockSeries('20:00:00', count, 600).flatMap((start) => {
    return [refused(start), refused(clockAfter(start, 5000)), ok(clockAfter(start, 60_000))];
  });
}

const alternatingModes = clockSeries('20:01:00', 8, 60).map((time, index) =>
  index % 2 === 0 ? refused(time) : timeout(time),
);

const cases: Case[] = [
  {
    name: 'the first success sets Reachable True at its time',
    results: [ok('20:00:00')],
    expected: {
      successes: ['20:00:00'],
      reachable: { status: 'True', reason: 'TCPConnectSuccess', since: '20:00:00', message: MESSAGES.succeeded },
      conditionTypes: ['Reachable'],
    },
  },
  {
    name: '21 successes keep the newest 20, newest first',
    results: clockSeries('20:00:00', 21, 60).map((time) => ok(time)),
    expected: {
      successes: clockSeries('20:01:00', 20, 60).reverse(),
      reachable: { status: 'True', reason: 'TCPConnectSuccess', since: '20:00:00' },
    },
  },
  {
    name: 'maxEntries is configurable',
    policy: { maxEntries: 3 },
    results: clockSeries('20:00:00', 5, 60).map((time) => ok(time)),
    expected: { successes: ['20:04:00', '20:03:00', '20:02:00'] },
  },
  {
    name: 'a late result is inserted in time order and changes no state',
    results: [ok('20:00:00'), ok('20:02:00'), refused('20:01:00'), ok('20:01:30')],
    expected: {
      successes: ['20:02:00', '20:01:30', '20:00:00'],
      failures: ['20:01:00'],
      reachable: { status: 'True', reason: 'TCPConnectSuccess', since: '20:00:00' },
      confirmRetries: [undefined, undefined, undefined, undefined],
    },
  },
  {
    name: 'a late result older than the kept 20 is dropped',
    results: [...clockSeries('20:01:00', 20, 60).map((time) => ok(time)), ok('20:00:00')],
    expected: { successes: clockSeries('20:01:00', 20, 60).reverse() },
  },
  {
    name: 'a single dropped probe opens no outage and leaves Reachable True',
    results: [ok('20:00:00'), refused('20:01:00'), ok('20:01:05')],
    expected: {
      failures: ['20:01:00'],
      outageCount: 0,
      reachable: { status: 'True', reason: 'TCPConnectSuccess', since: '20:00:00' },
      transitions: [undefined, undefined, undefined],
      confirmRetries: [undefined, 5000, undefined],
    },
  },
  {
    name: 'a confirmed outage starts at the first failed probe',
    results: [ok('20:00:00'), refused('20:01:00'), refused('20:01:05')],
    expected: {
      outages: [
        {
          start: '20:01:00',
          message: 'Connectivity outage detected at 2021-01-13T20:01:00Z',
          startLogs: ['20:01:00 refused'],
        },
      ],
      reachable: { status: 'False', reason: 'TCPConnectError', since: '20:01:00', message: MESSAGES.refused },
      transitions: [undefined, undefined, 'outage-opened'],
      confirmRetries: [undefined, 5000, undefined],
    },
  },
  {
    name: 'confirmFailures 3 asks for two quick re-probes',
    policy: { confirmFailures: 3, confirmRetryMs: 2000 },
    results: [ok('20:00:00'), refused('20:01:00'), refused('20:01:02'), refused('20:01:04')],
    expected: {
      outageStarts: ['20:01:00'],
      transitions: [undefined, undefined, undefined, 'outage-opened'],
      confirmRetries: [undefined, 2000, 2000, undefined],
    },
  },
  {
    name: 'the outage closes on the first success, with endLogs and the restored duration',
    results: [
      ok('20:00:00'),
      refused('20:01:00'),
      refused('20:01:05'),
      refused('20:02:00'),
      ok('20:03:00'),
      ok('20:04:00'),
    ],
    expected: {
      outages: [
        {
          start: '20:01:00',
          end: '20:03:00',
          message: 'Connectivity restored after 2m0s',
          startLogs: ['20:01:00 refused'],
          endLogs: ['20:03:00 succeeded', '20:02:00 refused', '20:01:05 refused', '20:01:00 refused'],
        },
      ],
      reachable: { status: 'True', reason: 'TCPConnectSuccess', since: '20:03:00' },
      transitions: [undefined, undefined, 'outage-opened', undefined, 'outage-closed', undefined],
    },
  },
  {
    name: 'the restored duration keeps the precision of the success time',
    results: [ok('20:07:34'), refused('20:08:34'), refused('20:08:39'), ok('20:11:33.999')],
    expected: { outages: [{ start: '20:08:34', end: '20:11:33', message: 'Connectivity restored after 2m59.999s' }] },
  },
  {
    name: 'confirmFailures 1 opens an outage per failure like OpenShift, detected at RFC3339Nano',
    policy: { confirmFailures: 1 },
    results: [ok('20:07:34'), refused('20:08:34.120')],
    expected: {
      outages: [{ start: '20:08:34', message: 'Connectivity outage detected at 2021-01-13T20:08:34.12Z' }],
      reachable: { status: 'False', reason: 'TCPConnectError', since: '20:08:34' },
      confirmRetries: [undefined, undefined],
    },
  },
  {
    name: 'a start known to the millisecond gives a millisecond duration',
    policy: { confirmFailures: 1 },
    results: [refused('20:08:34.123'), refused('20:09:34'), refused('20:10:34'), ok('20:11:34.1')],
    expected: { outages: [{ start: '20:08:34', end: '20:11:34', message: 'Connectivity restored after 2m59.977s' }] },
  },
  {
    name: 'startLogs record each change of failure mode: refused -> timeout -> refused',
    results: [
      ok('20:00:00'),
      refused('20:01:00'),
      refused('20:01:05'),
      timeout('20:02:00'),
      timeout('20:03:00'),
      refused('20:04:00'),
    ],
    expected: {
      outages: [
        {
          start: '20:01:00',
          message: 'Connectivity outage detected at 2021-01-13T20:01:00Z',
          startLogs: ['20:04:00 refused', '20:02:00 timeout', '20:01:00 refused'],
        },
      ],
      reachable: { status: 'False', reason: 'TCPConnectError', since: '20:01:00', message: MESSAGES.refused },
    },
  },
  {
    name: 'a mode change inside the confirmation streak is in startLogs',
    results: [ok('20:00:00'), refused('20:01:00'), timeout('20:01:05')],
    expected: {
      outages: [
        {
          start: '20:01:00',
          message: 'Connectivity outage detected at 2021-01-13T20:01:00Z',
          startLogs: ['20:01:05 timeout', '20:01:00 refused'],
        },
      ],
    },
  },
  {
    name: 'startLogs are capped at 5 and keep the first failure',
    results: [ok('20:00:00'), ...alternatingModes],
    expected: {
      outages: [
        {
          start: '20:01:00',
          message: 'Connectivity outage detected at 2021-01-13T20:01:00Z',
          startLogs: [
            '20:08:00 timeout',
            '20:07:00 refused',
            '20:06:00 timeout',
            '20:05:00 refused',
            '20:01:00 refused',
          ],
        },
      ],
    },
  },
  {
    name: 'endLogs are capped at 5: the success and the 4 newest failures',
    results: [ok('20:00:00'), ...clockSeries('20:01:00', 10, 60).map((time) => refused(time)), ok('20:11:00')],
    expected: {
      outages: [
        {
          start: '20:01:00',
          end: '20:11:00',
          message: 'Connectivity restored after 10m0s',
          endLogs: [
            '20:11:00 succeeded',
            '20:10:00 refused',
            '20:09:00 refused',
            '20:08:00 refused',
            '20:07:00 refused',
          ],
        },
      ],
    },
  },
  {
    name: '21 outages keep the newest 20, newest first',
    results: outageSeries(21),
    expected: { outageCount: 20, outageStarts: clockSeries('20:10:00', 20, 600).reverse() },
  },
  {
    name: 'a new success message without a flip keeps lastTransitionTime',
    results: [ok('20:00:00'), ok('20:01:00', { message: 'web: tcp connection to 10.0.0.5:6443 succeeded' })],
    expected: {
      reachable: {
        status: 'True',
        reason: 'TCPConnectSuccess',
        since: '20:00:00',
        message: 'web: tcp connection to 10.0.0.5:6443 succeeded',
      },
    },
  },
  {
    name: 'a new failure message during an outage keeps lastTransitionTime at the outage start',
    results: [ok('20:00:00'), refused('20:01:00'), refused('20:01:05'), timeout('20:02:00')],
    expected: {
      reachable: { status: 'False', reason: 'TCPConnectError', since: '20:01:00', message: MESSAGES.timeout },
    },
  },
  {
    name: 'an invalid check turns Reachable False at once and opens no outage',
    results: [ok('20:00:00'), invalid('20:01:00')],
    expected: {
      outageCount: 0,
      failures: ['20:01:00'],
      reachable: { status: 'False', reason: 'InvalidCheck', since: '20:01:00', message: MESSAGES.invalid },
      confirmRetries: [undefined, undefined],
      transitions: [undefined, undefined],
    },
  },
  {
    name: 'an invalid check breaks a failure streak and stays visible until a failure is confirmed',
    results: [invalid('20:00:00'), refused('20:01:00'), refused('20:01:05')],
    expected: {
      outageStarts: ['20:01:00'],
      reachable: { status: 'False', reason: 'TCPConnectError', since: '20:00:00' },
      confirmRetries: [undefined, 5000, undefined],
    },
  },
  {
    name: 'a fixed check turns Reachable True on its first success',
    results: [invalid('20:00:00'), ok('20:01:00')],
    expected: { reachable: { status: 'True', reason: 'TCPConnectSuccess', since: '20:01:00' } },
  },
  {
    name: 'an invalid check during an outage keeps the outage open',
    results: [refused('20:00:00'), refused('20:00:05'), invalid('20:01:00')],
    expected: {
      outages: [{ start: '20:00:00', message: 'Connectivity outage detected at 2021-01-13T20:00:00Z' }],
      reachable: { status: 'False', reason: 'InvalidCheck', since: '20:00:00' },
    },
  },
  {
    name: 'a first-ever failure is Unknown until confirmed',
    results: [refused('20:00:00'), refused('20:00:05')],
    expected: {
      reachable: { status: 'False', reason: 'TCPConnectError', since: '20:00:00' },
      outageStarts: ['20:00:00'],
      confirmRetries: [5000, undefined],
    },
  },
  {
    name: 'a first-ever failure followed by a success leaves no outage',
    results: [refused('20:00:00'), ok('20:00:05')],
    expected: { reachable: { status: 'True', reason: 'TCPConnectSuccess', since: '20:00:05' }, outageCount: 0 },
  },
  {
    name: 'other conditions are kept, in order',
    initial: {
      conditions: [
        { type: 'Stale', status: 'True', reason: 'NoRecentProbe', message: 'm', lastTransitionTime: rfc('19:00:00') },
      ],
    },
    results: [ok('20:00:00'), refused('20:01:00'), refused('20:01:05')],
    expected: {
      conditionTypes: ['Stale', 'Reachable'],
      reachable: { status: 'False', reason: 'TCPConnectError', since: '20:01:00' },
    },
  },
  {
    name: 'TLS success reason',
    results: [ok('20:00:00', { reason: 'TLSHandshake' })],
    expected: { reachable: { status: 'True', reason: 'TLSHandshakeSuccess', since: '20:00:00' } },
  },
  {
    name: 'HTTP success reason',
    results: [ok('20:00:00', { reason: 'HTTPRequest' })],
    expected: { reachable: { status: 'True', reason: 'HTTPRequestSuccess', since: '20:00:00' } },
  },
  {
    name: 'an unmapped success reason gets a Success suffix',
    results: [ok('20:00:00', { reason: 'UDPEcho' })],
    expected: { reachable: { status: 'True', reason: 'UDPEchoSuccess', since: '20:00:00' } },
  },
];

function checkExpected(status: CheckStatus, outcomes: ReturnType<typeof record>[], expected: Expected): void {
  if (expected.successes) assert.deepEqual(clocks(status.successes), expected.successes);
  if (expected.failures) assert.deepEqual(clocks(status.failures), expected.failures);
  if (expected.outageCount !== undefined) assert.equal(status.outages?.length ?? 0, expected.outageCount);
  if (expected.outageStarts)
    assert.deepEqual(
      (status.outages ?? []).map((outage) => clock(outage.start)),
      expected.outageStarts,
    );
  if (expected.outages)
    assert.deepEqual(
      (status.outages ?? []).map((outage, index) => describeOutage(outage, expected.outages![index])),
      expected.outages,
    );
  if (expected.reachable)
    assert.deepEqual(describeReachable(status, expected.reachable.message !== undefined), expected.reachable);
  if (expected.conditionTypes)
    assert.deepEqual(
      (status.conditions ?? []).map((condition) => condition.type),
      expected.conditionTypes,
    );
  if (expected.transitions)
    assert.deepEqual(
      outcomes.map((outcome) => outcome.transition),
      expected.transitions,
    );
  if (expected.confirmRetries)
    assert.deepEqual(
      outcomes.map((outcome) => outcome.confirmRetryInMs),
      expected.confirmRetries,
    );
}

/** The outage in the shape of the expectation, reading only the fields the expectation names. */
function describeOutage(
  outage: NonNullable<CheckStatus['outages']>[number],
  like: ExpectedOutage | undefined,
): ExpectedOutage {
  return {
    start: clock(outage.start),
    ...(outage.end && { end: clock(outage.end) }),
    message: outage.message ?? '',
    ...(like?.startLogs && { startLogs: (outage.startLogs ?? []).map(describeEntry) }),
    ...(like?.endLogs && { endLogs: (outage.endLogs ?? []).map(describeEntry) }),
  };
}

function describeReachable(status: CheckStatus, withMessage: boolean): Expected['reachable'] {
  const reachable = findCondition(status, 'Reachable');
  assert.ok(reachable, 'no Reachable condition');
  return {
    status: reachable.status,
    reason: reachable.reason ?? '',
    since: clock(reachable.lastTransitionTime),
    ...(withMessage && { message: reachable.message ?? '' }),
  };
}

describe('record', () => {
  for (const { name, initial, results, policy, expected } of cases) {
    test(name, () => {
      let status = initial;
      const outcomes = results.map((result) => {
        const before = structuredClone(status);
        const outcome = record(status, result, statusPolicy(policy));
        assert.deepEqual(status, before, 'the input status was modified');
        assertValidStatus(outcome.status);
        status = outcome.status;
        return outcome;
      });
      checkExpected(status!, outcomes, expected);
    });
  }

  test('a result becomes an OpenShift log entry with a Go latency', () => {
    const { status } = record(undefined, refused('20:10:34.999'));
    assert.deepEqual(status.failures, [
      {
        time: '2021-01-13T20:10:34Z',
        success: false,
        reason: 'TCPConnectError',
        message: MESSAGES.refused,
        latency: '2.241775ms',
      },
    ]);
  });

  test("reproduces the outage of OpenShift's documented example, in OpenShift mode", () => {
    const seedFailure = (time: string, latencyMs: number) => ({ ...refused(time), latencyMs });
    const results = [
      seedFailure('20:08:34.001', 3.483578),
      seedFailure('20:09:34', 2.582129),
      seedFailure('20:10:34', 2.241775),
      ok('20:11:34'),
    ];
    const status = results.reduce<CheckStatus | undefined>(
      (current, result) => record(current, result, statusPolicy({ confirmFailures: 1, maxEntries: 10 })).status,
      undefined,
    )!;
    const logged = (time: string, latency: string, success = false) => ({
      time: rfc(time),
      success,
      reason: success ? 'TCPConnect' : 'TCPConnectError',
      message: success ? MESSAGES.succeeded : MESSAGES.refused,
      latency,
    });
    const failures = [
      logged('20:10:34', '2.241775ms'),
      logged('20:09:34', '2.582129ms'),
      logged('20:08:34', '3.483578ms'),
    ];
    assert.deepEqual(status, {
      conditions: [
        {
          type: 'Reachable',
          status: 'True',
          reason: 'TCPConnectSuccess',
          message: MESSAGES.succeeded,
          lastTransitionTime: rfc('20:11:34'),
        },
      ],
      successes: [logged('20:11:34', '2.032018ms', true)],
      failures,
      outages: [
        {
          start: rfc('20:08:34'),
          end: rfc('20:11:34'),
          message: 'Connectivity restored after 2m59.999s',
          startLogs: [failures[2]],
          endLogs: [logged('20:11:34', '2.032018ms', true), ...failures],
        },
      ],
    });
  });

  test('the status fields come in OpenShift order', () => {
    const { status } = record({ outages: [], failures: [] }, ok('20:00:00'));
    assert.deepEqual(Object.keys(status), ['conditions', 'successes', 'failures', 'outages']);
  });
});

describe('time formats', () => {
  const formats: Array<[string, string, string]> = [
    ['20:08:34', '2021-01-13T20:08:34Z', '2021-01-13T20:08:34Z'],
    ['20:08:34.100', '2021-01-13T20:08:34Z', '2021-01-13T20:08:34.1Z'],
    ['20:08:34.123', '2021-01-13T20:08:34Z', '2021-01-13T20:08:34.123Z'],
    ['20:08:34.999', '2021-01-13T20:08:34Z', '2021-01-13T20:08:34.999Z'],
  ];
  for (const [time, seconds, nano] of formats) {
    test(`${time} -> ${seconds} / ${nano}`, () => {
      assert.equal(formatTime(at(time)), seconds);
      assert.equal(formatTimeNano(at(time)), nano);
    });
  }
});
