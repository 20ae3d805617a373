/*
 * Staff: one information session, the people holding a seat, and their attendance. Once the session has begun,
 * each person is noted present, absent or excused, once: present completes their step, an absence invites them
 * again (the second one without an excuse goes to the team's review).
 */
import { NETWORK_MESSAGE, api, loadInto, messageOf } from '../lib/api.js';
import { byId, el, facts, formatDateTime, plural } from '../lib/dom.js';
import { startPage } from '../lib/page.js';
import { dataTable, type Row } from '../lib/paging.js';
import { personLink, personName } from '../lib/people.js';
import type { AttendanceAnswer, AttendeeView, SessionDetailView } from '../lib/views.js';

const ATTENDANCE_CHOICES = [
  { attendance: 'present', label: 'Présent(e)' },
  { attendance: 'absent', label: 'Absent(e)' },
  { attendance: 'excused', label: 'Excusé(e)' },
] as const;

const ATTENDEE_HEADERS = ['Jeune', 'Inscription', 'Présence'];

const SETTLED_TEXT: Record<string, string> = {
  attended: "l'étape de la réunion est faite.",
  'no-show': "deuxième absence : le parcours passe en revue par l'équipe (Demandes à traiter).",
};

startPage(async () => {
  const sessionId = document.body.dataset.sessionId ?? '';
  const region = byId('reunion-detail');
  const status = byId('attendance-status');
  const data = await loadInto<SessionDetailView>(region, `/api/staff/sessions/${encodeURIComponent(sessionId)}`);
  if (!data) return;
  const { session, attendees, startedAt } = data;
  byId('session-title').textContent = `Réunion du ${session.label}`;
  document.title = `Réunion du ${session.label} - CoopConnexion Parcours`;
  const say = (text: string, tone: 'success' | 'warning') => {
    const node = el('p', { class: `panel panel-${tone}`, tabindex: '-1' }, text);
    status.replaceChildren(node);
    node.focus();
  };

  const attendanceCell = (attendee: AttendeeView): HTMLElement => {
    const name = personName(attendee);
    const cell = el('div', { class: 'attendance' });
    if (attendee.attendance) {
      cell.append(el('span', { class: 'badge' }, attendee.attendanceLabel));
      if (attendee.attendanceAt) cell.append(el('span', { class: 'meta' }, ` noté le ${formatDateTime(attendee.attendanceAt)}${attendee.attendanceBy ? ` par ${attendee.attendanceBy}` : ''}`));
      return cell;
    }
    if (!startedAt) {
      cell.append('À noter après le début de la réunion');
      return cell;
    }
    const buttons: HTMLButtonElement[] = ATTENDANCE_CHOICES.map((choice) => {
      const button = el('button', { type: 'button', class: choice.attendance === 'present' ? 'button' : 'button button-secondary', 'data-attendance': choice.attendance },
        choice.label, el('span', { class: 'visually-hidden' }, ` : ${name}`));
      button.addEventListener('click', async () => {
        for (const b of buttons) b.disabled = true;
        try {
          const result = await api<AttendanceAnswer>(`/api/staff/sessions/${encodeURIComponent(sessionId)}/attendance`, { method: 'POST', json: { referralId: attendee.referralId, attendance: choice.attendance } });
          if (result.ok) {
            const recorded = result.data.attendee;
            cell.replaceWith(attendanceCell(recorded));
            const settled = result.data.settled ? SETTLED_TEXT[result.data.settled] : choice.attendance === 'absent' ? 'une nouvelle invitation lui est envoyée.' : '';
            say(`${name} : ${recorded.attendanceLabel}${settled ? `, ${settled}` : '.'}`, 'success');
          } else {
            say(messageOf(result, "La présence n'a pas été enregistrée. Réessayez dans quelques instants."), 'warning');
          }
        } catch {
          say(NETWORK_MESSAGE, 'warning');
        } finally {
          for (const b of buttons) if (b.isConnected) b.disabled = false;
        }
      });
      return button;
    });
    cell.append(el('span', { class: 'item-actions' }, buttons));
    return cell;
  };

  const row = (attendee: AttendeeView): Row => ({
    attributes: { 'data-referral-id': attendee.referralId },
    cells: [
      el('span', {}, personLink(attendee.personId, personName(attendee)), attendee.minor ? ' (mineur)' : ''),
      el('time', { datetime: attendee.bookedAt }, formatDateTime(attendee.bookedAt)),
      attendanceCell(attendee),
    ],
  });

  region.replaceChildren(
    el('section', { class: 'panel', 'aria-label': 'La réunion' },
      facts([
        ['Date', `${session.label} (heure de Paris), ${plural(session.durationMinutes, 'minute', 'minutes')}`],
        ['Lieu', session.place],
        ['Programmes', session.programmes.map((p) => p.label).join(', ')],
        ['Places', `${session.seatsTaken} prises sur ${session.capacity}`],
      ])),
    attendees.length
      ? dataTable(undefined, `${plural(attendees.length, 'inscrit', 'inscrits')}${startedAt ? '' : ' : la présence se note une fois la réunion commencée'}`, ATTENDEE_HEADERS, attendees.map(row))
      : el('p', {}, "Personne n'est encore inscrit à cette réunion."));
});
