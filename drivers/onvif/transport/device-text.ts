/**
 * Text a device controls (fault reasons, addresses, data items) made safe to put into an error
 * message or a log line: NUL and other C0/C1 control characters, DEL, and the Unicode line and
 * bidi-override characters become `\u{..}` escapes (a camera must not forge log lines or hide text
 * from a technician), and it is cut to `max` characters with an ellipsis.
 */
export function deviceText(text: string, max = 200): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}
