/** RFC 5987 leaves these unescaped by encodeURIComponent as not allowed in `filename*`. */
const encodeExtValue = (s: string): string => encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The Content-Disposition of a download. A Chinese file name goes in `filename*` (RFC 6266, which
 * browsers use) with an ASCII `filename` for clients that do not read it.
 */
export function attachment(fileName: string, asciiFallback?: string): string {
  if (/^[\x20-\x7e]*$/.test(fileName) && !/["\\]/.test(fileName)) return `attachment; filename="${fileName}"`;
  const fallback = (asciiFallback ?? fileName).replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeExtValue(fileName)}`;
}
