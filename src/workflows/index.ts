export { purchase } from './purchase';
