/**
 * MQTT topic names and filters ↔ core addresses.
 *
 * The rule is ActiveMQ's (MQTTProtocolSupport.convertMQTTToActiveMQ): six characters are swapped
 * one for one, in both directions:
 *
 *   MQTT  /  .  +  *  #  >
 *   core  .  /  *  +  >  #
 *
 * So `sensors/room-1/temp` is the core topic `sensors.room-1.temp`, the filter `sensors/+/temp`
 * is `sensors.*.temp` and `sensors/#` is `sensors.>`. A `.` inside an MQTT level becomes a `/`
 * inside the same core level (`spBv1.0/plant` ↔ `spBv1/0.plant`), and a core name with a `/`
 * in it reaches MQTT with a `.` there. The swap is its own inverse, so every name survives the
 * round trip exactly, and a literal `*` or `>` level in an MQTT topic name (legal in MQTT) is a
 * literal `+` or `#` level in the core, never a core wildcard.
 *
 * Shared subscriptions `$share/{group}/{filter}` are split off before mapping: the group becomes
 * SubscribeOptions.sharedGroup and only `{filter}` is mapped.
 */

const SWAP: Readonly<Record<string, string>> = { '/': '.', '.': '/', '+': '*', '*': '+', '#': '>', '>': '#' };
const SPECIAL = /[/.+*#>]/g;
const swapOne = (c: string): string => SWAP[c]!;

const CACHE_LIMIT = 4096;
const cache = new Map<string, string>();

/** Swaps the separator and wildcard characters; the function is its own inverse. */
function swapSeparators(name: string): string {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const out = name.replace(SPECIAL, swapOne);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(name, out);
  return out;
}

/** MQTT topic name or filter → core address name. */
export const mqttToCoreName = swapSeparators;
/** Core address name → MQTT topic name. */
export const coreToMqttName = swapSeparators;

export const SHARE_PREFIX = '$share/';

export interface TopicFilter {
  /** The filter as the client wrote it, `$share/...` included: the subscription's key in the session. */
  readonly raw: string;
  /** The filter proper, without the `$share/{group}/` prefix. */
  readonly filter: string;
  readonly levels: readonly string[];
  readonly sharedGroup?: string;
}

/**
 * Checks a PUBLISH topic name; returns why it is not valid, or undefined. UTF-8 and U+0000 are
 * checked by the codec [MQTT-1.5.4-1] [MQTT-1.5.4-2].
 */
export function topicNameProblem(topic: string, maxLevels: number): string | undefined {
  if (topic.length === 0) return 'empty topic name'; // [MQTT-4.7.3-1]
  if (topic.includes('+') || topic.includes('#')) return 'wildcards in a topic name'; // [MQTT-3.3.2-2] [MQTT-4.7.1-1]
  if (countLevels(topic) > maxLevels) return `more than ${maxLevels} topic levels`;
  return undefined;
}

/** Parses and checks a SUBSCRIBE / UNSUBSCRIBE topic filter; a string is the reason it is invalid. */
export function parseTopicFilter(raw: string, maxLevels: number): TopicFilter | string {
  if (raw.length === 0) return 'empty topic filter'; // [MQTT-4.7.3-1]
  let filter = raw;
  let sharedGroup: string | undefined;
  if (raw.startsWith(SHARE_PREFIX)) {
    const slash = raw.indexOf('/', SHARE_PREFIX.length);
    sharedGroup = raw.slice(SHARE_PREFIX.length, slash < 0 ? raw.length : slash);
    if (slash < 0 || sharedGroup.length === 0) return 'a shared subscription needs a group and a filter'; // [MQTT-4.8.2-1]
    if (sharedGroup.includes('+') || sharedGroup.includes('#')) return 'wildcards in a share name'; // [MQTT-4.8.2-2]
    filter = raw.slice(slash + 1);
    if (filter.length === 0) return 'a shared subscription needs a filter';
  }
  if (countLevels(filter) > maxLevels) return `more than ${maxLevels} topic levels`;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return `'#' must be a whole last level`; // [MQTT-4.7.1-2]
    if (level.includes('+') && level !== '+') return `'+' must be a whole level`; // [MQTT-4.7.1-3]
  }
  return sharedGroup === undefined ? { raw, filter, levels } : { raw, filter, levels, sharedGroup };
}

function countLevels(name: string): number {
  let n = 1;
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) n++;
  return n;
}

/**
 * Whether a filter (split into levels) matches a topic name (split into levels). A filter that
 * starts with a wildcard does not match a topic starting with `$` [MQTT-4.7.2-1].
 */
export function filterMatches(filter: readonly string[], topic: readonly string[]): boolean {
  const first = filter[0];
  if ((first === '#' || first === '+') && topic[0]!.startsWith('$')) return false;
  for (let i = 0; i < filter.length; i++) {
    const level = filter[i]!;
    if (level === '#') return true; // matches the parent level too: `a/#` matches `a`
    if (i >= topic.length) return false;
    if (level !== '+' && level !== topic[i]) return false;
  }
  return filter.length === topic.length;
}
