// The public surface of the client's backup support: the file format, reading and verifying a backup
// file offline, and the hot-backup / hot-restore flows behind small source and target interfaces.
export {
  backupFileMagic,
  backupFormatVersion,
  backupHeaderVersion,
  recordHeaderBytes,
  recordPayloadBytesMax,
  type BackupFileHeader,
} from './backup-format.js';
export { BackupReader, summarizeBackup, type BackupRecord, type BackupSummary, type ScanEvent } from './backup-reader.js';
export { ChainVerifier, type ChainFailure, type ChainStep } from './backup-chain.js';
export { verifyBackupFile, type VerifiedBackup } from './backup-verify.js';
export { progressLine, type ProgressSink } from './backup-progress.js';
export { hotBackup, type BackupSource, type HotBackupOptions, type HotBackupResult } from './hot-backup.js';
export { hotRestore, verifyFile, type HotRestoreOptions, type HotRestoreResult, type RestoreTarget, type TargetState } from './hot-restore.js';
