// The marker that makes an index written without fsync (lmdb noSync) safe to reopen. The index is
// derived data, so it may skip lmdb's fsyncs as long as it is never trusted after the page cache that
// held its unsynced writes was lost. That happens only when the kernel restarts (OS crash, power loss,
// reboot, the disk moved to another machine); a process crash (SIGKILL, OOM, assert) keeps every
// completed write in the page cache, where the next open reads it. The kernel's boot id
// (/proc/sys/kernel/random/boot_id, the same in every container of one host) names that lifetime.
// Before the first unsynced write, the marker file with the current boot id is written and fsynced
// (file and directory); a clean close fsyncs lmdb and then removes the marker. An open that finds a
// marker from another boot must discard the index and rebuild it from the log. This file decides
// nothing else: it reads, writes and removes the marker.
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const UNSYNCED_MARKER_FILE = 'unsynced-since-boot';
const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';

/** The running kernel's boot id, or undefined where there is none (then the index stays synced). */
export function currentBootId(path: string = BOOT_ID_PATH): string | undefined {
  try {
    const id = readFileSync(path, 'latin1').trim();
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}

/** The boot id in dir's marker; undefined when there is no marker (the index was closed cleanly or synced). */
export function readUnsyncedMarker(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, UNSYNCED_MARKER_FILE), 'latin1').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Durably records that the index in dir may hold writes only the page cache of boot `bootId` has. */
export function writeUnsyncedMarker(dir: string, bootId: string): void {
  const fd = openSync(join(dir, UNSYNCED_MARKER_FILE), 'w');
  try {
    writeSync(fd, bootId);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncDir(dir);
}

/** Removes the marker, durably; call only after the index itself was fsynced. */
export function clearUnsyncedMarker(dir: string): void {
  rmSync(join(dir, UNSYNCED_MARKER_FILE), { force: true });
  fsyncDir(dir);
}
