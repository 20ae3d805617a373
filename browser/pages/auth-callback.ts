// Target of the Cognito redirect: exchanges the code for the tokens.
import { startPage } from '../lib/page.js';
import { handleCallback } from '../lib/session.js';

startPage(handleCallback, { session: false });
