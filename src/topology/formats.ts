/**
 * The string formats of the topology, each one regular expression shared by synth (zod) and `p2pnc schema`
 * (JSON Schema `pattern`), so editors and synth agree, plus a length limit checked first and a message that says
 * what to change. The formats are what the Kubernetes API server and the runtime accept, not looser.
 */

export interface Format {
  /** An ECMAScript regular expression source, anchored; JSON Schema `pattern`. */
  pattern: string;
  /** JSON Schema `maxLength`; checked before the pattern so a huge value never reaches the regex. */
  maxLength: number;
  /** JSON Schema `minLength`. @default 1 */
  minLength?: number;
  /** What is wrong with a value that does not match, and what to write instead. */
  message: string;
  /** What the value is, for "X must be at most N characters". @default the value */
  what?: string;
}

const DNS_LABEL_PART = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?';
const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
export const IPV4_PATTERN = `${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}`;
export const IPV6_PATTERN = ipv6Pattern();
/** A DNS name in any case, labels of at most 63 characters, the last one not all digits (192.168.20.300 is no name). */
const DNS_NAME_PATTERN =
  '(?=.{1,253}$)(?:[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?\\.)*(?![0-9]+$)[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?';

/** RFC 3986's IPv6address: eight groups, `::` for a run of zeros, an IPv4 address for the last two groups. */
function ipv6Pattern(): string {
  const h16 = '[0-9A-Fa-f]{1,4}';
  const ls32 = `(?:${h16}:${h16}|${IPV4_PATTERN})`;
  const before = (max: number) => (max < 0 ? '' : max === 0 ? `(?:${h16})?` : `(?:(?:${h16}:){0,${max}}${h16})?`);
  const after = (count: number) => (count === 0 ? '' : `(?:${h16}:){${count}}`);
  const forms = [
    `${after(6)}${ls32}`,
    `::${after(5)}${ls32}`,
    `${before(0)}::${after(4)}${ls32}`,
    `${before(1)}::${after(3)}${ls32}`,
    `${before(2)}::${after(2)}${ls32}`,
    `${before(3)}::${h16}:${ls32}`,
    `${before(4)}::${ls32}`,
    `${before(5)}::${h16}`,
    `${before(6)}::`,
  ];
  return `(?:${forms.join('|')})`;
}

const anchored = (pattern: string) => `^${pattern}$`;

export const IP_ADDRESS: Format = {
  pattern: anchored(`(?:${IPV4_PATTERN}|${IPV6_PATTERN})`),
  maxLength: 45,
  what: 'an address',
  message: 'must be an IPv4 address (10.0.0.4) or an IPv6 address (fd00::4)',
};

export const HOST: Format = {
  pattern: anchored(`(?:${IPV4_PATTERN}|${IPV6_PATTERN}|${DNS_NAME_PATTERN})`),
  maxLength: 253,
  what: 'a host',
  message: 'must be a DNS name (api.example.com), an IPv4 address or an IPv6 address without brackets (fd00::4)',
};

export const DNS_NAME: Format = {
  pattern: anchored(DNS_NAME_PATTERN),
  maxLength: 253,
  what: 'a DNS name',
  message: 'must be a DNS name such as api.example.com',
};

export function dnsLabel(what: string): Format {
  return {
    pattern: anchored(DNS_LABEL_PART),
    maxLength: 63,
    what,
    message: `${what} must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`,
  };
}

/** What a Service's name must be: a DNS-1123 label that starts with a letter. */
export function dns1035Label(what: string): Format {
  return {
    pattern: anchored('[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?'),
    maxLength: 63,
    what,
    message: `${what} names a Service, so it must be a DNS-1035 label: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters`,
  };
}

/** Kubernetes' IsDNS1123Subdomain: at most 253 characters in all (its labels may be longer than 63). */
const SUBDOMAIN_PART = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';
export const DNS_SUBDOMAIN_PATTERN = `(?=.{1,253}$)${SUBDOMAIN_PART}(?:\\.${SUBDOMAIN_PART})*`;

export function dnsSubdomain(what: string): Format {
  return {
    pattern: anchored(DNS_SUBDOMAIN_PATTERN),
    maxLength: 253,
    what,
    message: `${what} must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', at most 253 characters`,
  };
}

/** A Kubernetes label key: an optional DNS subdomain prefix of at most 253 characters, '/', and a name of at most 63. */
export const LABEL_KEY: Format = {
  pattern: anchored(
    `(?:(?=[^/]{1,253}/)${DNS_LABEL_PART}(?:\\.${DNS_LABEL_PART})*/)?(?=[^/]{1,63}$)[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?`,
  ),
  maxLength: 317,
  what: 'a label key',
  message:
    "label keys must be [prefix/]name: an optional DNS subdomain prefix (at most 253 characters), and a name of at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
};

export const LABEL_VALUE: Format = {
  pattern: anchored('(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?'),
  maxLength: 63,
  what: 'a label value',
  minLength: 0,
  message:
    "label values must be at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or empty)",
};

/** A container image reference as the container runtime parses it: [registry[:port]/]path[:tag][@digest]. */
const IMAGE_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_DOMAIN =
  '(?:(?:[A-Za-z0-9](?:[-A-Za-z0-9]*[A-Za-z0-9])?)(?:\\.[A-Za-z0-9](?:[-A-Za-z0-9]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:]+\\])(?::[0-9]+)?';
/** A digest as containerd and the kubelet verify it (go-digest): the algorithm and exactly its length in lower-case hex. */
const IMAGE_DIGEST = '(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})';
export const IMAGE: Format = {
  pattern: anchored(
    `(?:${IMAGE_DOMAIN}/)?${IMAGE_COMPONENT}(?:/${IMAGE_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@${IMAGE_DIGEST})?`,
  ),
  maxLength: 1024,
  what: 'the image',
  message:
    'must be a container image reference such as registry.example.com/p2pnc:0.1.0, or pinned by digest as registry.example.com/p2pnc@sha256:<64 lower-case hex digits> (lower-case path, no spaces)',
};

/** An HTTP request path: printable ASCII, no spaces. */
export const HTTP_PATH: Format = {
  pattern: anchored('/[!-~]*'),
  maxLength: 2048,
  what: 'path',
  message: 'path must start with / and be printable ASCII without spaces (percent-encode others: /a%20b)',
};

const matchers = new Map<string, RegExp>();

function regexOf(format: Format): RegExp {
  let regex = matchers.get(format.pattern);
  if (!regex) matchers.set(format.pattern, (regex = new RegExp(format.pattern)));
  return regex;
}

/** Undefined when `text` has the format, else the message (pointing at a non-ASCII character when there is one). */
export function formatProblem(format: Format, text: string): string | undefined {
  if (text.length > format.maxLength)
    return `${format.what ?? 'the value'} must be at most ${format.maxLength} characters`;
  if (text.length < (format.minLength ?? 1))
    return `${format.what ?? 'the value'} must not be empty; ${format.message}`;
  if (regexOf(format).test(text)) return undefined;
  const odd = unexpectedCharacter(text);
  return odd ? `${format.message}; it has ${odd}` : format.message;
}

/** The first character outside printable ASCII, named by code point and position (a look-alike letter is hard to see). */
export function unexpectedCharacter(text: string): string | undefined {
  let position = 0;
  for (const char of text) {
    position++;
    const code = char.codePointAt(0)!;
    if (code >= 0x20 && code < 0x7f) continue;
    const shown = code < 0x20 || (code >= 0x7f && code <= 0x9f) ? '' : `"${char}" `;
    const kind = code < 0x80 || (code >= 0x80 && code <= 0x9f) ? 'the control character' : 'the non-ASCII character';
    const hint =
      code >= 0x80
        ? ' (a look-alike of an ASCII letter? an internationalized name must be written in punycode, xn--...)'
        : '';
    return `${kind} ${shown}U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${position}${hint}`;
  }
  return undefined;
}
