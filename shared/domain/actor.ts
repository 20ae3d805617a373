/** Who does something: recorded on every transition of a path. */
export type Actor =
  | { kind: 'prescriber'; id: string; name: string; email?: string; organisationId: string; organisationName: string }
  | { kind: 'staff'; id: string; name: string; email?: string }
  /** A young person acting through their personal link (`id` is their personId). */
  | { kind: 'young-person'; id: string; name: string }
  /** A guardian acting through their personal link (`id` names the guardian of a referral). */
  | { kind: 'guardian'; id: string; name: string }
  | { kind: 'system'; name?: string };

export type Prescriber = Extract<Actor, { kind: 'prescriber' }>;
export type Staff = Extract<Actor, { kind: 'staff' }>;

/** What the timeline shows of an actor: never the e-mail. */
export function publicActor(actor: Actor): { kind: Actor['kind']; name?: string; organisationName?: string } {
  if (actor.kind === 'system') return { kind: 'system', name: actor.name ?? 'Système' };
  if (actor.kind === 'prescriber') return { kind: 'prescriber', name: actor.name, organisationName: actor.organisationName };
  return { kind: actor.kind, name: actor.name };
}
