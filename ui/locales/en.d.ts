/** The en texts: flat key → text (for the tests that compare both languages). */
declare const texts: Record<string, string>;
export default texts;
