/** Prints the data folder's PAYLOAD_KEYS (made if need be), for tools/scale-out.sh's processes. */
import { dataFolderPayloadKeys } from './payload-keys';

console.log(dataFolderPayloadKeys().secret);
