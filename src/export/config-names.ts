/**
 * The shapes of names in the export configuration, in one place: what saves (validation) and what
 * exports (compilation, transformations, the BU default locale) must agree on them.
 */

/** A locale code: en, fr, fr-CA, zh-Hant-TW. */
export const LOCALE_CODE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
/** An inRiver attribute or envelope field id. */
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A decorator type (purpose, media_type …). */
export const DECORATOR_TYPE = /^[A-Za-z0-9_-]+$/;
/** An export file name (also a path segment of the job folder). */
export const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
