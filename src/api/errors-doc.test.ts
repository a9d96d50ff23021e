// Keeps the three views of the error catalog in agreement: ERROR_CATALOG (src/common/errors.ts), the
// status mapping (src/api/error-status.ts, checked against grpc-js's numbers) and docs/errors.md.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, GrpcStatus, ImmuError, type ErrorCode } from '../common/errors.js';
import { silentLogger } from '../common/log.js';
import { errorToStatus, internalErrorMessage, statusForCode } from './error-status.js';
import { errorCodeTrailer } from './metadata.js';

interface DocRow {
  readonly code: string;
  readonly statusName: string;
  readonly statusNumber: number;
  readonly meaning: string;
}

function parseErrorsDoc(markdown: string): DocRow[] {
  const rows: DocRow[] = [];
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*`([A-Z0-9_]+)`\s*\|\s*([A-Z_]+)\s*\((\d+)\)\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (m !== null) rows.push({ code: m[1]!, statusName: m[2]!, statusNumber: Number(m[3]), meaning: m[4]! });
  }
  return rows;
}

const codes = Object.keys(ERROR_CATALOG) as ErrorCode[];
const doc = readFileSync(fileURLToPath(new URL('../../docs/errors.md', import.meta.url)), 'utf8');
const rows = parseErrorsDoc(doc);

describe('error catalog, status table and docs/errors.md', () => {
  it('GrpcStatus numbers equal grpc-js status numbers', () => {
    for (const [name, value] of Object.entries(GrpcStatus)) {
      expect(status[name as keyof typeof status], name).toBe(value);
    }
  });

  it('maps every code to the catalog status', () => {
    for (const code of codes) expect(statusForCode(code), code).toBe(ERROR_CATALOG[code].status);
  });

  it('documents every code exactly once, with its status and a meaning', () => {
    expect(rows.map((r) => r.code).sort()).toEqual([...codes].sort());
    for (const row of rows) {
      const entry = ERROR_CATALOG[row.code as ErrorCode];
      expect(row.statusNumber, row.code).toBe(entry.status);
      expect(GrpcStatus[row.statusName as keyof typeof GrpcStatus], row.code).toBe(entry.status);
      expect(row.meaning.length, row.code).toBeGreaterThan(0);
    }
  });

  it('sends an ImmuError as its status, message and code trailer', () => {
    for (const code of codes) {
      const st = errorToStatus(new ImmuError(code, `m-${code}`), { logger: silentLogger(), rpc: 'Test' });
      expect(st.code).toBe(ERROR_CATALOG[code].status);
      expect(st.details).toBe(`m-${code}`);
      expect(st.metadata?.get(errorCodeTrailer)).toEqual([code]);
    }
  });

  it('hides unexpected errors behind INTERNAL and logs them', () => {
    const logged: unknown[] = [];
    const logger = silentLogger();
    logger.error = ((obj: unknown) => void logged.push(obj)) as typeof logger.error;
    const st = errorToStatus(new TypeError('secret at /home/x.ts:1'), { logger, rpc: 'Get' });
    expect(st.code).toBe(status.INTERNAL);
    expect(st.details).toBe(internalErrorMessage);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ event: 'api.internal_error', rpc: 'Get' });
  });
});
