// The home page and the 404 page: nothing of their own beyond the session in the header.
import { startPage } from '../lib/page.js';

startPage();
