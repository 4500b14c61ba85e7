// How an inRiver value becomes CSV text when no transformation says otherwise. The value's JSON
// shape decides (the AttributeFile is not needed, so drift between it and the data cannot break
// an export):
//
//   null / absent               → ""  (then the column's default_value, if any)
//   "text"                      → as is
//   42, 0.85                    → shortest decimal form ("0.85")
//   true / false                → "1" / "0"
//   {"en": "…", "fr-CA": "…"}   → the BU's default locale (fallback: its language, then "en"; see pickLocale)
//   {"key": "EA", "value": …}   → the key ("EA")
//   {"keys": [...], "values": …}→ the keys joined by "|"
//   [a, b]                      → each rendered, joined by "|"
//   a timestamp (UpdatedAt)     → ISO-8601 UTC
//   any other object            → its JSON text

export const DEFAULT_LIST_SEPARATOR = '|';

export interface RenderContext {
  /** The BU's default locale (export_setting default_locale). */
  defaultLocale: string;
}

export type CvlValue = { key: unknown; value?: unknown };
export type MultiCvlValue = { keys: unknown[]; values?: unknown[] };

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

export const isCvl = (v: unknown): v is CvlValue => isPlainObject(v) && 'key' in v;
export const isMultiCvl = (v: unknown): v is MultiCvlValue => isPlainObject(v) && Array.isArray(v.keys);

/** A locale → text map: every value a string or null, and no CVL keys. */
export function isLocaleString(v: unknown): v is Record<string, string | null> {
  if (!isPlainObject(v) || isCvl(v) || isMultiCvl(v)) return false;
  const values = Object.values(v);
  return values.length > 0 && values.every((x) => typeof x === 'string' || x === null);
}

/**
 * The text of a LocaleString in `locale`: that locale (case-insensitive), else its language
 * (fr-CA → fr), else another locale of the same language (fr → fr-CA); then the same for the BU
 * default locale; then "en". Empty texts are skipped; "" when nothing has text.
 */
export function pickLocale(map: Record<string, string | null>, locale: string, defaultLocale: string): string {
  const entries = Object.entries(map)
    .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')
    .map(([k, v]) => [k.toLowerCase(), v] as const);
  const language = (l: string) => l.split('-')[0];
  for (const wanted of [locale.toLowerCase(), defaultLocale.toLowerCase(), 'en']) {
    const found = entries.find(([k]) => k === wanted)
      ?? entries.find(([k]) => k === language(wanted))
      ?? entries.find(([k]) => language(k) === language(wanted));
    if (found) return found[1];
  }
  return '';
}

export function renderNumber(n: number): string {
  if (!Number.isFinite(n)) return '';
  return String(n);
}

export function renderDefault(value: unknown, ctx: RenderContext): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return renderNumber(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  if (Array.isArray(value)) return value.map((v) => renderDefault(v, ctx)).join(DEFAULT_LIST_SEPARATOR);
  if (isMultiCvl(value)) return value.keys.map((k) => renderDefault(k, ctx)).join(DEFAULT_LIST_SEPARATOR);
  if (isCvl(value)) return renderDefault(value.key, ctx);
  if (isLocaleString(value)) return pickLocale(value, ctx.defaultLocale, ctx.defaultLocale);
  return JSON.stringify(value);
}
