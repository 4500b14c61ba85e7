// The shapes of names in the export configuration, in one place: what saves (validation) and what
// exports (compilation, transformations, the BU default locale) must agree on them.

/** A locale code: en, fr, fr-CA, zh-Hant-TW. */
export const LOCALE_CODE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
/** An inRiver attribute or envelope field id. */
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A decorator type (purpose, media_type …). */
export const DECORATOR_TYPE = /^[A-Za-z0-9_-]+$/;
/** An export file name (also a path segment of the job folder). */
export const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Why a file name is reserved in a job folder, in any case, or null. The job writes
 * `manifest.json` itself, and the local store writes every file as `<name>.partial` before
 * renaming it: a template named like either would overwrite, or be overwritten by, another file
 * of the job (`manifest.json.partial` was listed in its job and missing on disk).
 */
export function reservedFileName(name: string): string | null {
  const lower = name.toLowerCase();
  if (lower === 'manifest.json') return "the job's manifest";
  if (lower.endsWith('.partial')) return "the store's name for a file being written";
  return null;
}

/**
 * Names that differ only in case are one file where the exports end up on a case-insensitive file
 * system (a Windows share, macOS), so a BU's template names must differ in more than case.
 */
const caseInsensitiveKey = (name: string) => name.toLowerCase();

/** "\"Items.csv\" and \"items.csv\"" for every name that differs only in case from an earlier one. */
export function caseCollisions(names: readonly string[]): string[] {
  const first = new Map<string, string>();
  const found: string[] = [];
  for (const name of names) {
    const key = caseInsensitiveKey(name);
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, name);
    else if (earlier !== name) found.push(`"${earlier}" and "${name}"`);
  }
  return found;
}

export const CASE_COLLISION = 'differ only in case: they are one file on a case-insensitive file system (a Windows share, macOS)';
