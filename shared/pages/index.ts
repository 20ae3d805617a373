export { assets } from './assets.js';
export { authCallbackPage } from './auth-callback.js';
export { homePage, notFoundPage } from './home.js';
export { referralsListPage } from './prescriber.js';
export { referralFormPage } from './referral-form.js';
export { decisionPage, inboxPage, timelinePage } from './staff.js';
