/**
 * One attribute of an entity. With a locale and a LocaleString value (a locale → text map), the
 * text in that locale, falling back to its language (fr-CA → fr), then to "en"; null if none.
 * Without a locale, or for any other type (CVL objects included), the value as delivered.
 */
export function attributeValue(attributes: Record<string, unknown>, id: string, locale?: string | null): unknown {
  const value = attributes[id];
  if (value === undefined) return null;
  if (!locale || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const map = value as Record<string, unknown>;
  if ('key' in map || 'keys' in map) return value;
  return localeText(map, locale);
}

/** The text of a locale → text map in `locale`, else its language (fr-CA → fr), else "en"; null if none. */
export function localeText(map: Record<string, unknown>, locale: string): string | null {
  const language = locale.split('-')[0];
  for (const candidate of [locale, language, 'en']) {
    if (typeof map[candidate] === 'string') return map[candidate] as string;
  }
  return null;
}
