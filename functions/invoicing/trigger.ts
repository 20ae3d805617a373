import * as z from 'zod/mini';
import { eventConsumer } from '../../shared/http/task.js';
import { fireInvoicingSchedule } from '../../shared/invoicing/schedule.js';

/**
 * The monthly schedule (1st of the month, 06:00 Europe/Paris): invoices the previous Paris month and catches up the
 * months missed (shared/invoicing/schedule.ts). The event's content is not read (the scheduler's, or `{}` by hand).
 */
export const handler = eventConsumer(z.unknown(), async () => fireInvoicingSchedule());
