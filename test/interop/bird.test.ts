/** Interop with the real bird from Debian's packages, in network namespaces. */
import t from 'tap';
import { interopSuite } from '../support/interop-suite.js';

interopSuite(t, 'bird');
