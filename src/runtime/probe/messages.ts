/** OpenShift check-endpoints' log messages and reasons, each prefixed with `<label>: `. */

export const Reason = {
  tcpConnect: 'TCPConnect',
  tcpConnectError: 'TCPConnectError',
  dnsError: 'DNSError',
  tlsHandshake: 'TLSHandshake',
  tlsError: 'TLSError',
  httpRequest: 'HTTPRequest',
  httpError: 'HTTPError',
  invalidCheck: 'InvalidCheck',
} as const;

export function tcpSucceeded(label: string, endpoint: string): string {
  return `${label}: tcp connection to ${endpoint} succeeded`;
}

/** `dialed` is the address actually dialed (the resolved IP for names), as in Go's `dial tcp <addr>` error. */
export function tcpFailed(label: string, endpoint: string, dialed: string, text: string): string {
  return `${label}: failed to establish a TCP connection to ${endpoint}: dial tcp ${dialed}: ${text}`;
}

export function dnsFailed(label: string, host: string, text: string): string {
  return `${label}: failure looking up host ${host}: lookup ${host}: ${text}`;
}

export function tlsSucceeded(label: string, endpoint: string): string {
  return `${label}: tls connection to ${endpoint} succeeded`;
}

export function tlsFailed(label: string, endpoint: string, text: string): string {
  return `${label}: failed to complete a TLS handshake with ${endpoint}: ${text}`;
}

export function httpSucceeded(label: string, url: string, status: number): string {
  return `${label}: http GET ${url} succeeded with status ${status}`;
}

export function httpUnexpectedStatus(label: string, url: string, status: number, expected: string): string {
  return `${label}: http GET ${url} returned status ${status}, expected ${expected}`;
}

export function httpFailed(label: string, url: string, text: string): string {
  return `${label}: http GET ${url} failed: ${text}`;
}

export function invalidCheck(label: string, text: string): string {
  return `${label}: invalid check: ${text}`;
}
