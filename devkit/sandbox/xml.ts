import { XMLBuilder } from 'fast-xml-parser';

/**
 * Response bodies are built as plain objects and rendered here. Arrays become repeated elements
 * (`{ item: [a, b] }` → `<item>a</item><item>b</item>`); dates become ISO-8601 UTC; undefined
 * fields are left out, as AWS leaves out unset fields.
 */
export type XmlValue = string | number | boolean | Date | undefined | null | XmlObject | XmlValue[];
export interface XmlObject {
  [element: string]: XmlValue;
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_' });

/** An empty `namespace` leaves the attribute out (S3's error documents have none). */
export function renderXml(root: string, namespace: string, body: XmlObject): string {
  const element = { ...(namespace && { '@_xmlns': namespace }), ...(normalize(body) as object) };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [root]: element })}`;
}

function normalize(value: XmlValue): unknown {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      const normalized = normalize(child);
      if (normalized !== undefined) out[key] = normalized;
    }
    return out;
  }
  return value;
}
