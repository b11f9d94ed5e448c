// YAML text → one plain JS value plus where each path sits in the source, with hard limits so
// hostile input (huge files, alias bombs, deep nesting) ends fast with a clear error.
//
// js-yaml 5 parses to a flat event stream with source offsets; we walk it once to record
// positions and to count nodes *as if aliases were expanded*: js-yaml itself shares aliased
// objects, but zod copies them while validating, so an alias bomb would explode there.
import { CORE_SCHEMA, EVENT_ID, SCALAR_STYLE, YAMLException, constructFromEvents, getScalarValue, mergeTag, parseEvents, type Event } from "js-yaml";
import { PositionMap, type PathSegment } from "./source-positions.ts";

export interface YamlLimits {
  maxBytes: number;
  /** Nodes after expanding aliases. A 2,000-project config has ~30,000. */
  maxNodes: number;
  /** Nested mappings/sequences, aliases expanded. Valid configs need 6. */
  maxDepth: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = { maxBytes: 256 * 1024, maxNodes: 100_000, maxDepth: 32 };

export type YamlLoadResult = { ok: true; value: unknown; positions: PositionMap } | { ok: false; offset: number; message: string; hint: string };

// Merge keys (`<<: *defaults`) are a common way to share settings between environments.
const SCHEMA = CORE_SCHEMA.withTags(mergeTag);

interface Frame {
  kind: "doc" | "map" | "seq";
  /** null: inside a complex key, which we do not track. */
  path: PathSegment[] | null;
  index: number;
  expectKey: boolean;
  pendingKey: string | null;
  keyOffset: number;
  countAtStart: number;
  childHeight: number;
  anchor: string | null;
}

class Refusal {
  constructor(
    readonly offset: number,
    readonly message: string,
    readonly hint: string,
  ) {}
}

export function loadYamlDocument(text: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): YamlLoadResult {
  // text.length <= UTF-8 byte length, so the cheap check first keeps a 1 GB string cheap.
  const bytes = text.length > limits.maxBytes ? text.length : Buffer.byteLength(text, "utf8");
  if (bytes > limits.maxBytes) {
    return {
      ok: false,
      offset: 0,
      message: `file is ${formatSize(bytes)}; the limit is ${formatSize(limits.maxBytes)}`,
      hint: "keep .slipway.yml small: list projects and settings only, and remove generated or pasted content",
    };
  }
  try {
    const events = parseEvents(text, { maxDepth: limits.maxDepth });
    const walked = walkEvents(text, events, limits);
    if (walked instanceof Refusal) return { ok: false, offset: walked.offset, message: walked.message, hint: walked.hint };
    if (walked.documents === 0) return { ok: true, value: null, positions: walked.positions };
    const [value] = constructFromEvents(events, { source: text, schema: SCHEMA });
    return { ok: true, value: value ?? null, positions: walked.positions };
  } catch (error) {
    if (error instanceof YAMLException) {
      return {
        ok: false,
        offset: error.mark?.position ?? 0,
        message: `YAML syntax error: ${error.reason}`,
        hint: syntaxHint(error.reason, limits),
      };
    }
    // js-yaml documents that non-YAMLException errors can escape; a bad file must still not throw.
    return { ok: false, offset: 0, message: `cannot read YAML: ${String(error)}`, hint: "check the file is valid YAML" };
  }
}

function walkEvents(text: string, events: readonly Event[], limits: YamlLimits): { positions: PositionMap; documents: number } | Refusal {
  const positions = new PositionMap();
  const anchors = new Map<string, { size: number; height: number }>();
  const openAnchors = new Set<string>();
  const stack: Frame[] = [];
  let count = 0;
  let documents = 0;
  let lastOffset = 0;

  const collectionDepth = () => stack.filter((f) => f.kind !== "doc").length;
  const finishChild = (height: number) => {
    const parent = stack[stack.length - 1];
    if (parent) parent.childHeight = Math.max(parent.childHeight, height);
  };

  for (let i = 0; i < events.length; i++) {
    const ev = events[i] as Event;
    if (ev.type === EVENT_ID.DOCUMENT) {
      documents++;
      if (documents > 1) {
        const next = events.find((e, j) => j > i && offsetOf(e) >= 0);
        return new Refusal(
          next ? offsetOf(next) : lastOffset,
          "the file holds more than one YAML document",
          "remove the `---` separator and keep a single document",
        );
      }
      stack.push(newFrame("doc", [], 0));
      continue;
    }
    if (ev.type === EVENT_ID.POP) {
      const frame = stack.pop();
      if (frame && frame.kind !== "doc") {
        const height = frame.childHeight + 1;
        if (frame.anchor !== null) {
          anchors.set(frame.anchor, { size: count - frame.countAtStart, height });
          openAnchors.delete(frame.anchor);
        }
        finishChild(height);
      }
      continue;
    }

    const own = offsetOf(ev);
    const offset = own >= 0 ? own : lastOffset;
    lastOffset = offset;
    const parent = stack[stack.length - 1];
    let path: PathSegment[] | null = null;

    if (parent?.kind === "map" && parent.expectKey) {
      parent.expectKey = false;
      parent.pendingKey = ev.type === EVENT_ID.SCALAR && parent.path !== null ? getScalarValue(text, ev) : null;
      parent.keyOffset = offset;
    } else if (parent) {
      if (parent.path !== null) {
        if (parent.kind === "doc") path = [];
        else if (parent.kind === "seq") path = [...parent.path, parent.index];
        else if (parent.pendingKey !== null) path = [...parent.path, parent.pendingKey];
      }
      if (parent.kind === "seq") parent.index++;
      if (path !== null) positions.set(path, parent.kind === "map" ? { key: parent.keyOffset, value: offset } : { value: offset });
      if (parent.kind === "map") parent.expectKey = true;
    }

    if (ev.type === EVENT_ID.ALIAS) {
      const name = text.slice(ev.anchorStart, ev.anchorEnd);
      if (openAnchors.has(name)) {
        return new Refusal(offset, `alias *${name} refers to a node that contains it`, "recursive aliases are not allowed; copy the values instead");
      }
      const target = anchors.get(name);
      // An unknown alias is left for js-yaml, which reports it with its position.
      count += target?.size ?? 1;
      const height = target?.height ?? 0;
      if (collectionDepth() + height > limits.maxDepth) {
        return new Refusal(
          offset,
          `nesting deeper than ${limits.maxDepth} levels (aliases expanded)`,
          "flatten the structure; a valid .slipway.yml needs only a few levels",
        );
      }
      finishChild(height);
    } else {
      count++;
      const anchor = ev.anchorStart >= 0 ? text.slice(ev.anchorStart, ev.anchorEnd) : null;
      if (ev.type === EVENT_ID.SCALAR) {
        if (anchor !== null) anchors.set(anchor, { size: 1, height: 0 });
        finishChild(0);
      } else {
        const frame = newFrame(ev.type === EVENT_ID.MAPPING ? "map" : "seq", path, count - 1);
        frame.anchor = anchor;
        if (anchor !== null) openAnchors.add(anchor);
        stack.push(frame);
      }
    }
    if (count > limits.maxNodes) {
      return new Refusal(
        offset,
        `too many YAML nodes: more than ${limits.maxNodes.toLocaleString("en-US")} once aliases are expanded`,
        "remove aliases that repeat large content (a 'billion laughs' pattern); a real config is far smaller",
      );
    }
  }
  return { positions, documents };
}

function newFrame(kind: Frame["kind"], path: PathSegment[] | null, countAtStart: number): Frame {
  return { kind, path, index: 0, expectKey: true, pendingKey: null, keyOffset: 0, countAtStart, childHeight: 0, anchor: null };
}

function offsetOf(ev: Event): number {
  switch (ev.type) {
    case EVENT_ID.SCALAR:
      // For a quoted scalar, point at its opening quote: that is where the user sees the value start.
      if (ev.valueStart > 0 && (ev.style === SCALAR_STYLE.SINGLE_QUOTED || ev.style === SCALAR_STYLE.DOUBLE_QUOTED)) {
        return ev.valueStart - 1;
      }
      return ev.valueStart;
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      return ev.anchorStart >= 0 ? Math.min(ev.start, ev.anchorStart - 1) : ev.start;
    case EVENT_ID.ALIAS:
      return ev.anchorStart - 1;
    default:
      return -1;
  }
}

function syntaxHint(reason: string, limits: YamlLimits): string {
  if (reason.includes("maxDepth")) return `nesting is limited to ${limits.maxDepth} levels; a valid .slipway.yml needs only a few`;
  if (reason.includes("duplicated mapping key")) return "each key may appear once per mapping; remove or merge the repeated key";
  if (reason.includes("tab")) return "YAML indentation must use spaces, not tabs";
  if (reason.includes("indentation")) return "indent nested keys consistently with spaces under their parent";
  return "fix the YAML syntax at this position (quote values that contain `: `, `#`, `{` or `[`)";
}

function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}
