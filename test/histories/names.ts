/** The recorded purchase histories (test/histories/<name>.json): what record.ts writes and replay.test.ts expects. */
export const HISTORIES = ['confirmed', 'rejected-for-stock', 'compensated'] as const;
