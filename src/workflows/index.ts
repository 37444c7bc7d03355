export { purchase } from './purchase';
export { reconcileStock } from './reconcile';
