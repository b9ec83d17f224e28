import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  InvalidEndpointError,
  formatEndpoint,
  formatExpectedStatus,
  isExpectedStatus,
  parseEndpoint,
  parseExpectedStatus,
} from '../../src/runtime/probe/index.js';

test('parseEndpoint: names, IPv4, bracketed IPv6', () => {
  assert.deepEqual(parseEndpoint('etcd.openshift-etcd.svc:2379'), { host: 'etcd.openshift-etcd.svc', port: 2379 });
  assert.deepEqual(parseEndpoint('10.0.134.23:2379'), { host: '10.0.134.23', port: 2379 });
  assert.deepEqual(parseEndpoint('[fd00::1]:6443'), { host: 'fd00::1', port: 6443 });
  assert.deepEqual(parseEndpoint('[::1]:1'), { host: '::1', port: 1 });
  assert.deepEqual(parseEndpoint('kubernetes.default.svc.cluster.local.:443'), {
    host: 'kubernetes.default.svc.cluster.local.',
    port: 443,
  });
  assert.deepEqual(parseEndpoint('localhost:65535'), { host: 'localhost', port: 65535 });
});

test('parseEndpoint: clear errors for what is not host:port', () => {
  const cases: [string, RegExp][] = [
    ['10.0.0.1', /expected host:port/],
    ['fd00::1:6443', /write IPv6 addresses in brackets, e\.g\. \[fd00::1\]:6443/],
    ['[fd00::1]', /expected \[ipv6\]:port/],
    ['[fd00::1]6443', /expected \[ipv6\]:port/],
    ['[10.0.0.1]:80', /is not an IPv6 address/],
    ['host:0', /port must be a number from 1 to 65535/],
    ['host:65536', /port must be/],
    ['host:', /port must be/],
    ['host:http', /port must be/],
    [':443', /is neither a host name nor an IP address/],
    ['bad host:443', /is neither a host name nor an IP address/],
    ['-leading.dash:443', /is neither/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseEndpoint(text),
      (error: unknown) => error instanceof InvalidEndpointError && message.test(error.message),
      text,
    );
  }
});

test('formatEndpoint: brackets IPv6 only', () => {
  assert.equal(formatEndpoint('fd00::1', 6443), '[fd00::1]:6443');
  assert.equal(formatEndpoint('10.0.0.1', 80), '10.0.0.1:80');
  assert.equal(formatEndpoint('api.example.com', 443), 'api.example.com:443');
  for (const text of ['[fd00::1]:6443', '10.0.0.1:80', 'a.b:1']) {
    const { host, port } = parseEndpoint(text);
    assert.equal(formatEndpoint(host, port), text);
  }
});

test('expected statuses: default 200-399, lists, ranges', () => {
  assert.equal(isExpectedStatus(200, undefined), true);
  assert.equal(isExpectedStatus(399, []), true);
  assert.equal(isExpectedStatus(400, undefined), false);
  assert.equal(isExpectedStatus(199, undefined), false);
  assert.equal(isExpectedStatus(503, [500, 503]), true);
  assert.equal(isExpectedStatus(200, [204]), false);

  assert.equal(formatExpectedStatus(undefined), '200-399');
  assert.equal(formatExpectedStatus([204, 200]), '200,204');
  assert.equal(formatExpectedStatus([200, 201, 202, 300, 301]), '200-202,300,301');

  assert.deepEqual(parseExpectedStatus('200'), [200]);
  assert.deepEqual(parseExpectedStatus('200, 204,300-302'), [200, 204, 300, 301, 302]);
  for (const bad of ['', 'ok', '99', '600', '200-100', '200,,204', '2000'])
    assert.equal(parseExpectedStatus(bad), undefined, bad);
});
