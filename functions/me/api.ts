import { apiRouter } from '../../shared/http/router.js';
import { handler as get } from './get.js';
import { handler as documents } from './documents.js';
import { handler as startUpload } from './start-upload.js';
import { handler as completeUpload } from './complete-upload.js';
import { handler as bankDetails } from './bank-details.js';
import { handler as sessions } from './sessions.js';
import { handler as session } from './session.js';
import { handler as contract } from './contract.js';
import { handler as contractAcceptance } from './contract-acceptance.js';
import { handler as activities } from './activities.js';
import { handler as activity } from './activity.js';
import { handler as activitySubmission } from './activity-submission.js';
import { handler as activityFlyer } from './activity-flyer.js';
import type { YoungPersonRoute } from './routes.js';

/*
 * The young person's space (personal link): "Mon parcours", documents and uploads, bank details, the information
 * session, the contract, the activity's launch file and its flyer. One function for these routes (decision 29); each
 * route's handler is its own module's `apiRoute`.
 */
export const handler = apiRouter<YoungPersonRoute>({
  'GET /api/me': get,
  'GET /api/me/documents': documents,
  'POST /api/me/documents/{docType}/uploads': startUpload,
  'POST /api/me/uploads/{uploadId}/complete': completeUpload,
  'PUT /api/me/bank-details': bankDetails,
  'GET /api/me/sessions': sessions,
  'PUT /api/me/session': session,
  'GET /api/me/contract': contract,
  'POST /api/me/contract/acceptance': contractAcceptance,
  'GET /api/me/activities': activities,
  'PUT /api/me/activity': activity,
  'POST /api/me/activity/submission': activitySubmission,
  'GET /api/me/activities/{activityId}/flyer': activityFlyer,
});
