export { purchase } from './purchase';
export { reconcileStock } from './reconcile';
export { backupDatabase } from './backup';
