/** Prints the data folder's signing secret (made if need be), for tools/scale-out.sh's processes. */
import { dataFolderSecret } from './signing-secret';

console.log(dataFolderSecret().secret);
