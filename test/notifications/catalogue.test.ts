import { describe, expect, it } from 'vitest';
import { CATALOGUE_ENTRIES, MESSAGE_KINDS, OUTCOME_LABELS, isMandatory, mayCarryAttachments, render, type CatalogueEntry, type ReferralVars } from '../../shared/domain/messages/catalogue.js';
import { smsSegments } from '../../shared/domain/messages/sms-text.js';
import { LINK_PLACEHOLDERS, LINK_URL_BUDGET, withLinkBudget } from '../../shared/domain/personal-links.js';
import { decisionDrafts, type ReferralForMessages } from '../../shared/domain/referral-messages.js';

const referral: ReferralVars = {
  youngFirstName: 'Zoé',
  youngLastName: 'Lefèvre',
  programmeLabel: 'Accompagnement individuel (18-29 ans)',
  reference: 'ORI-1A2B3C4D',
  prescriberOrganisation: 'Mission locale de Lens',
};

/** Long but real-looking values: the SMS must still fit in two segments. */
const longReferral: ReferralVars = {
  youngFirstName: 'Marie-Bénédicte-Joséphine',
  youngLastName: 'Van Den Bossche-Wojciechowski',
  programmeLabel: 'Coopérative Jeunesse de Services (16-18 ans, été)',
  reference: 'ORI-9F8E7D6C',
  prescriberOrganisation: "Mission locale de l'arrondissement de Lens-Liévin, antenne d'Hénin-Beaumont",
};

/** Every variable any template reads, optional ones included. */
function allVars(base: ReferralVars) {
  return {
    ...base,
    guardianName: 'Nadia Lefèvre',
    decisionUrl: 'https://parcours.coopconnexion.fr/equipe/decisions/Qm9uam91cg',
    eligible: false,
    ageDays: 7,
    expiresInDays: 13,
    reasonLabel: 'Domicile hors du territoire de la coopérative',
    message: 'Merci de rappeler Zoé avant vendredi.',
    subject: "Décision sur l'orientation de Zoé Lefèvre : acceptée",
    smsText: 'CoopConnexion : bonne nouvelle Zoe, votre entree est acceptee !',
    why: 'failed' as const,
    documentList: "- Pièce d'identité : carte d'identité ou passeport\n- Coordonnées bancaires (RIB)",
    documentNames: "Pièce d'identité, Coordonnées bancaires (RIB)",
    documentLabel: "Pièce d'identité",
    rejectionReason: 'Document illisible ou flou',
    linkUrl: 'https://parcours.coopconnexion.fr/mon-parcours#c2Vzc2lvbi1saW5rLXRva2VuLTMyLWJ5dGVzLWxvbmc',
    sessionDate: 'samedi 28 novembre 2026 à 14:00',
    place: 'Maison des associations, 12 rue Casimir-Beugnet, Lens',
    changeUntil: 'vendredi 27 novembre 2026 à 14:00',
    interviewDate: 'mardi 1 décembre 2026 à 10:30',
    where: 'par téléphone',
    validDays: 14,
    // Onboarding (consent and contract): a personal link as the sender puts it, a staff page, the contract's title.
    personalLink: 'https://parcours.coopconnexion.fr/tuteur#Qm9uam91ciBsZSBtb25kZSwgdm9pY2kgdW4gamV0b24',
    staffUrl: 'https://parcours.coopconnexion.fr/equipe/decisions/Qm9uam91cg',
    contractTitle: "Contrat d'appui au projet d'entreprise (CAPE)",
    comment: 'Nous préférons attendre la rentrée.',
    // The activity's launch.
    activityName: 'Les Jardins de Zoé, entretien de jardins et petits travaux',
    teamComment: 'Ajoutez un prix à l’heure pour la tonte, et précisez les communes desservies.',
    // A CJS cohort.
    cohortName: 'CJS Lens-Liévin été 2026',
    cohortDates: 'du lundi 6 juillet au vendredi 28 août 2026',
    cohortTowns: 'Lens, Liévin et Avion',
    // The monthly invoicing.
    customerName: 'Boulangerie-Pâtisserie Dupont et Fils SARL',
    invoiceNumber: '2027-000123',
    creditNoteNumber: '2027-000124',
    issueDate: '2027-04-01',
    dueDate: '2027-05-01',
    grossCents: 123_456,
    month: '2027-03',
    // What staff wrote when they held an invoice at the month's validation.
    reason: 'Le nombre d’heures déclaré pour ce client est à vérifier.',
    invoicedExclVatCents: 102_880,
    invoicedInclVatCents: 123_456,
    collective: false,
    receivedCents: 90_000,
    contributionCents: 10_288,
    leftCents: 92_592,
    paidCents: 23_456,
    outstandingCents: 100_000,
    business: true,
  };
}


// The entries are strings at run time: the test reaches every template the way an untyped caller would.
const renderEntry = (entry: CatalogueEntry, vars: object) => (render as (...args: unknown[]) => { subject?: string; body: string; segments?: number })(entry.kind, entry.role, entry.channel, vars);

const entryName = (e: CatalogueEntry) => `${e.kind} ${e.role} ${e.channel}`;

describe('the catalogue', () => {
  it('declares at least one message for every kind', () => {
    expect(new Set(CATALOGUE_ENTRIES.map((e) => e.kind))).toEqual(new Set(MESSAGE_KINDS));
  });

  it('lists what the referral stage and the information session send today', () => {
    expect(CATALOGUE_ENTRIES.map(entryName).sort()).toEqual(
      [
        'referral-received prescriber email',
        'referral-received young email',
        'referral-received young sms',
        'referral-received guardian email',
        'referral-decision-request staff email',
        'referral-reminder staff email',
        'referral-escalation staff email',
        'referral-waitlist-review staff email',
        'referral-expired prescriber email',
        ...['accepted', 'refused', 'waitlisted'].flatMap((o) => [`referral-${o} prescriber email`, `referral-${o} young email`, `referral-${o} young sms`, `referral-${o} guardian email`]),
        'email-undelivered young sms',
        'email-undelivered guardian sms',
        'sms-undelivered young email',
        'sms-undelivered guardian email',
        'documents-request young email',
        'documents-request young sms',
        'documents-request guardian email',
        'documents-reminder young email',
        'documents-reminder young sms',
        'document-rejected young email',
        'document-rejected young sms',
        ...['session-invitation', 'session-reinvitation'].flatMap((k) => [`${k} young email`, `${k} young sms`, `${k} guardian email`]),
        'session-confirmed young email',
        'session-confirmed young sms',
        'session-confirmed guardian email',
        'session-reminder young email',
        'session-reminder young sms',
        'session-reminder guardian email',
        'session-reminder guardian sms',
        'diagnosis-scheduled young email',
        'diagnosis-scheduled young sms',
        'diagnosis-scheduled guardian email',
        ...['young', 'guardian'].flatMap((role) => [`personal-link ${role} email`, `personal-link ${role} sms`]),
        ...['welcome', 'ready', 'ended'].flatMap((k) => [`onboarding-${k} young email`, `onboarding-${k} young sms`, `onboarding-${k} guardian email`]),
        // Onboarding: the guardian's consent and the contract.
        'guardian-consent-request guardian email',
        'guardian-consent-request guardian sms',
        'guardian-consent-reminder guardian email',
        'guardian-consent-reminder guardian sms',
        'guardian-consent-escalation staff email',
        'guardian-consent-given young email',
        'guardian-consent-given young sms',
        'guardian-consent-given staff email',
        'guardian-consent-refused young email',
        'guardian-consent-refused young sms',
        'guardian-consent-refused staff email',
        'contract-ready young email',
        'contract-ready young sms',
        'contract-acceptance-reminder young email',
        'contract-acceptance-reminder young sms',
        'contract-acceptance-reminder staff email',
        'contract-countersign-request staff email',
        'contract-countersign-reminder staff email',
        'contract-countersigned young email',
        'contract-countersigned young sms',
        'contract-countersigned guardian email',
        // The activity's launch.
        'launch-submitted young email',
        'launch-submitted young sms',
        ...['launch-sent-back', 'activity-launched'].flatMap((k) => [`${k} young email`, `${k} young sms`, `${k} guardian email`]),
        // A CJS cohort.
        'cohort-placed young email',
        'cohort-placed young sms',
        'cohort-placed guardian email',
        // The monthly invoicing.
        'invoice-issued customer email',
        'credit-note-issued customer email',
        'monthly-statement young email',
        'invoice-first-reminder customer email',
        'invoice-second-reminder customer email',
        'invoice-held young email',
      ].sort(),
    );
  });

  it('makes the decision mandatory for the young person, the prescriber and the guardian, not the acknowledgements', () => {
    for (const kind of ['referral-accepted', 'referral-refused', 'referral-waitlisted'] as const) {
      expect(isMandatory(kind, 'young')).toBe(true);
      expect(isMandatory(kind, 'prescriber')).toBe(true);
      expect(isMandatory(kind, 'guardian')).toBe(true);
    }
    expect(isMandatory('referral-expired', 'prescriber')).toBe(true);
    expect(isMandatory('referral-received', 'young')).toBe(false);
    expect(isMandatory('referral-reminder', 'staff')).toBe(false);
    expect(isMandatory('referral-received', 'customer')).toBe(false);
    // The law asks for the guardian's consent, a refusal ends the path, and the signed contract binds both.
    expect(isMandatory('guardian-consent-request', 'guardian')).toBe(true);
    expect(isMandatory('guardian-consent-refused', 'young')).toBe(true);
    expect(isMandatory('contract-countersigned', 'young')).toBe(true);
    expect(isMandatory('contract-countersigned', 'guardian')).toBe(true);
    expect(isMandatory('guardian-consent-reminder', 'guardian')).toBe(false);
    expect(isMandatory('contract-ready', 'young')).toBe(false);
    // A launch file sent back is what the member must change; a launch binds the member and, for a minor, the guardian.
    expect(isMandatory('launch-sent-back', 'young')).toBe(true);
    expect(isMandatory('activity-launched', 'young')).toBe(true);
    expect(isMandatory('activity-launched', 'guardian')).toBe(true);
    expect(isMandatory('launch-submitted', 'young')).toBe(false);
    expect(CATALOGUE_ENTRIES.every((e) => e.mandatory === isMandatory(e.kind, e.role))).toBe(true);
  });

  for (const [label, base] of [['usual', referral], ['long', longReferral]] as const) {
    describe(`renders every entry with ${label} values`, () => {
      for (const entry of CATALOGUE_ENTRIES) {
        it(entryName(entry), () => {
          const full = allVars(base);
          const withoutOptionals = { ...full, eligible: true, reasonLabel: undefined, message: undefined, comment: undefined };
          for (const vars of [full, withoutOptionals]) {
            const message = renderEntry(entry, vars);
            // A personal link's placeholder is the one "{{" a text may hold: the sender fills it in.
            const text = `${message.subject ?? ''}\n${message.body}`.replaceAll(LINK_PLACEHOLDERS['young-person'], '').replaceAll(LINK_PLACEHOLDERS.guardian, '');
            for (const unresolved of ['{{', '${', 'undefined', 'null', 'NaN', '[object Object]']) expect(text).not.toContain(unresolved);
            // A fallback carries the message that did not arrive, a customer's its invoice; every other e-mail quotes the referral.
            const fallback = entry.kind === 'email-undelivered' || entry.kind === 'sms-undelivered';
            expect(message.body).toContain(entry.channel === 'sms' ? 'CoopConnexion' : fallback ? full.smsText : entry.role === 'customer' ? full.invoiceNumber : base.reference);
            if (entry.channel === 'email') {
              expect(message.subject).toBeTruthy();
              expect(message.segments).toBeUndefined();
            } else {
              expect(message.subject).toBeUndefined();
              const counted = smsSegments(message.body);
              expect(counted.encoding).toBe('GSM-7');
              expect(message.segments).toBe(smsSegments(withLinkBudget(message.body)).segments);
              expect(message.segments).toBeGreaterThanOrEqual(counted.segments);
              expect(message.segments).toBeLessThanOrEqual(2);
              expect(message.body).not.toMatch(/[^\x20-\x7e€£¤§]/);
            }
          }
        });
      }
    });
  }

  it('reminds a customer of what is left to pay, the second time with the penalties a business owes', () => {
    const base = { customerName: 'Mme Leroy', activityName: 'Couture Leroy', invoiceNumber: '2027-000042', issueDate: '2027-04-01', dueDate: '2027-05-01', grossCents: 10_000 };
    expect(isMandatory('invoice-first-reminder', 'customer')).toBe(true);
    const first = render('invoice-first-reminder', 'customer', 'email', { ...base, paidCents: 0, outstandingCents: 10_000, business: false });
    expect(first.subject).toBe('Rappel : facture 2027-000042 - Couture Leroy');
    expect(first.body).toContain('arrivée à échéance le 01/05/2027');
    expect(first.body).toContain('son montant de 100,00\u00a0€ reste à régler');
    const partly = render('invoice-first-reminder', 'customer', 'email', { ...base, paidCents: 4_000, outstandingCents: 6_000, business: false });
    expect(partly.body).toContain('il reste 60,00\u00a0€ à régler sur 100,00\u00a0€ (40,00\u00a0€ déjà reçus)');
    const second = render('invoice-second-reminder', 'customer', 'email', { ...base, paidCents: 0, outstandingCents: 10_000, business: true });
    expect(second.subject).toBe('Second rappel : facture 2027-000042 - Couture Leroy');
    expect(second.body).toContain('indemnité forfaitaire de 40 €');
    expect(render('invoice-second-reminder', 'customer', 'email', { ...base, paidCents: 0, outstandingCents: 10_000, business: false }).body).not.toContain('40 €');
  });

  it("lets only an invoice, a credit note, their reminders (and the statements e-mailed with their PDF before decision 35) carry files, by e-mail", () => {
    const withFiles = CATALOGUE_ENTRIES.filter((e) => mayCarryAttachments(e.kind, e.role)).map(entryName);
    expect(withFiles.sort()).toEqual([
      'credit-note-issued customer email',
      'invoice-first-reminder customer email',
      'invoice-issued customer email',
      'invoice-second-reminder customer email',
      'monthly-statement young email',
    ]);
    // An invoice is owed to its customer: it goes to an address that complained, and is never held as a repeat.
    expect(isMandatory('invoice-issued', 'customer')).toBe(true);
    const invoice = render('invoice-issued', 'customer', 'email', { customerName: 'Mme Leroy', activityName: 'Couture Leroy', invoiceNumber: '2027-000042', issueDate: '2027-04-01', dueDate: '2027-05-01', grossCents: 4_500 });
    expect(invoice.subject).toBe('Facture 2027-000042 - Couture Leroy');
    expect(invoice.body).toContain("la facture n° 2027-000042 du 01/04/2027 pour les prestations de « Couture Leroy », d'un montant de 45,00\u00a0€, à régler avant le 01/05/2027");
  });

  it("gives a member's statement as its key figures and their personal link to their space, not as a file", () => {
    const figures = { invoicedExclVatCents: 100_000, invoicedInclVatCents: 120_000, receivedCents: 80_000, contributionCents: 10_000, leftCents: 90_000 };
    const vars = { youngFirstName: 'Zoé', reference: 'ORI-1A2B3C4D', activityName: 'Couture Leroy', month: '2027-03', ...figures, collective: false, validDays: 14 };
    const statement = render('monthly-statement', 'young', 'email', vars);
    expect(statement.subject).toBe('Votre relevé de mars 2027 : Couture Leroy');
    expect(statement.body).toContain('est disponible dans votre espace');
    expect(statement.body).toContain(
      '- facturé à vos clients (avoirs déduits) : 1\u00a0000,00\u00a0€ HT, 1\u00a0200,00\u00a0€ TTC\n- paiements reçus : 800,00\u00a0€\n- contribution de la coopérative : 100,00\u00a0€\n- ce qui vous reste : 900,00\u00a0€',
    );
    expect(statement.body).toContain(`avec votre lien personnel :\n${LINK_PLACEHOLDERS['young-person']}\n`);
    expect(statement.body).toContain('Il est valable 14 jours');
    expect(statement.body).not.toMatch(/joint|pièce jointe/);
    // Money given back to customers in the month (decision 54): said after the payments, and only then.
    expect(statement.body).not.toContain('remboursé');
    expect(render('monthly-statement', 'young', 'email', { ...vars, refundedCents: 25_000 }).body).toContain('- paiements reçus : 800,00\u00a0€\n- remboursé à vos clients : 250,00\u00a0€\n- contribution de la coopérative : 100,00\u00a0€');
    const share = render('monthly-statement', 'young', 'email', { ...vars, collective: true, leftCents: 30_000 });
    expect(share.body).toContain('- votre part du résultat (partage égal, indicatif) : 300,00\u00a0€');
    expect(isMandatory('monthly-statement', 'young')).toBe(false);
    // "de" is elided before a month that starts with a vowel.
    const october = render('monthly-statement', 'young', 'email', { ...vars, month: '2027-10' });
    expect(october.subject).toBe("Votre relevé d'octobre 2027 : Couture Leroy");
    expect(october.body).toContain("Votre relevé d'octobre 2027 pour l'activité");
  });

  it("names the month of a held invoice in correct French, elided before a vowel", () => {
    const vars = { youngFirstName: 'Zoé', reference: 'ORI-1A2B3C4D', activityName: 'Couture Leroy', customerName: 'Mme Leroy', reason: 'Le prix est à revoir.' };
    expect(render('invoice-held', 'young', 'email', { ...vars, month: '2027-04' }).subject).toBe("Facture d'avril 2027 mise en attente : Couture Leroy");
    expect(render('invoice-held', 'young', 'email', { ...vars, month: '2027-08' }).body).toContain("La facture d'août 2027 de l'activité « Couture Leroy »");
    expect(render('invoice-held', 'young', 'email', { ...vars, month: '2027-03' }).subject).toBe('Facture de mars 2027 mise en attente : Couture Leroy');
  });

  it('keeps the SMS of a usual referral in one segment where it can', () => {
    const sms = CATALOGUE_ENTRIES.filter((e) => e.channel === 'sms').map((e) => renderEntry(e, allVars(referral)));
    expect(sms.filter((m) => m.segments === 1).length).toBeGreaterThanOrEqual(3);
  });

  it('counts the segments of an SMS with its personal link in place of the placeholder', () => {
    const sms = render('personal-link', 'young', 'sms', { youngFirstName: 'Zoé', validDays: 14, reference: 'ORI-1A2B3C4D' });
    expect(sms.body).toBe('CoopConnexion : Zoe, votre lien personnel (valable 14 jours) : {{lien-personnel}}');
    // 62 characters of text alone would fit one segment; with a link of LINK_URL_BUDGET characters they take two.
    expect(smsSegments(sms.body).segments).toBe(1);
    expect(sms.body.length - LINK_PLACEHOLDERS['young-person'].length + LINK_URL_BUDGET).toBeGreaterThan(160);
    expect(sms.segments).toBe(2);
  });

  it('makes the personal link mandatory: asked for by the person, it goes even to an address that opted out', () => {
    expect(isMandatory('personal-link', 'young')).toBe(true);
    expect(isMandatory('personal-link', 'guardian')).toBe(true);
    const toGuardian = render('personal-link', 'guardian', 'email', { youngFirstName: 'Zoé', validDays: 14, reference: 'ORI-1A2B3C4D', guardianName: 'Nadia Lefèvre' });
    expect(toGuardian.body).toContain(LINK_PLACEHOLDERS.guardian);
    expect(toGuardian.body).not.toContain(LINK_PLACEHOLDERS['young-person']);
  });

  it('writes an SMS without accents nor typographic quotes', () => {
    const sms = render('referral-accepted', 'young', 'sms', { youngFirstName: 'Zoé' });
    expect(sms.body).toBe("CoopConnexion : bonne nouvelle Zoe, votre entree est acceptee ! Nous vous inviterons bientot a une reunion d'information.");
    expect(sms.segments).toBe(1);
  });

  it('tells the prescriber the reason and the message, and the young person only what they may read', () => {
    const vars = { ...referral, reasonLabel: 'Jeune injoignable', message: 'Trois appels sans réponse.' };
    const toPrescriber = render('referral-refused', 'prescriber', 'email', vars);
    expect(toPrescriber.subject).toBe(`Décision sur l'orientation de Zoé Lefèvre : ${OUTCOME_LABELS.refused}`);
    expect(toPrescriber.body).toContain('Motif : Jeune injoignable.');
    expect(toPrescriber.body).toContain("Message de l'équipe :\nTrois appels sans réponse.");
    const toYoung = render('referral-refused', 'young', 'email', { ...referral });
    expect(toYoung.body).not.toContain('Motif');
    expect(toYoung.body).toContain('Mission locale de Lens peut vous aider');
  });

  it('tells by SMS what an undelivered e-mail was about, and by e-mail what an undelivered or stopped SMS said', () => {
    const sms = render('email-undelivered', 'young', 'sms', { subject: 'Bienvenue à CoopConnexion !' });
    expect(sms.body).toContain('notre e-mail "Bienvenue a CoopConnexion !" n\'a pas pu vous etre remis');
    const failed = render('sms-undelivered', 'young', 'email', { smsText: 'CoopConnexion : rendez-vous mardi', why: 'failed' });
    expect(failed.body).toContain('numéro de mobile est peut-être erroné');
    expect(failed.body).toContain('« CoopConnexion : rendez-vous mardi »');
    const stopped = render('sms-undelivered', 'guardian', 'email', { smsText: 'CoopConnexion : rendez-vous mardi', why: 'opted-out' });
    expect(stopped.body).toContain('Vous avez demandé à ne plus recevoir nos SMS');
  });

  it('counts days in correct French', () => {
    const staff = { ...referral, decisionUrl: 'https://example.org/d/1' };
    expect(render('referral-reminder', 'staff', 'email', { ...staff, ageDays: 1 }).subject).toBe('Relance : orientation en attente depuis 1 jour');
    expect(render('referral-reminder', 'staff', 'email', { ...staff, ageDays: 3 }).subject).toBe('Relance : orientation en attente depuis 3 jours');
    expect(render('referral-escalation', 'staff', 'email', { ...staff, ageDays: 20, expiresInDays: 0 }).body).toContain("elle expirera aujourd'hui");
    expect(render('referral-escalation', 'staff', 'email', { ...staff, ageDays: 19, expiresInDays: 1 }).body).toContain('elle expirera dans 1 jour ');
  });

  it('says whether the referral meets the conditions in the staff request', () => {
    const staff = { ...referral, decisionUrl: 'https://example.org/d/1' };
    expect(render('referral-decision-request', 'staff', 'email', { ...staff, eligible: true }).body).toContain('Éligibilité : conditions remplies.');
    expect(render('referral-decision-request', 'staff', 'email', { ...staff, eligible: false }).body).toContain('Éligibilité : à examiner');
  });

  it('refuses a kind a role does not receive', () => {
    expect(() => renderEntry({ kind: 'referral-reminder', role: 'young', channel: 'sms', mandatory: false }, referral)).toThrow(/no sms message/);
  });

  it('rejects missing variables and undeclared channels at compile time', () => {
    // Type-level only: tsc fails if any of these lines compiles.
    const typeChecks = () => [
      // @ts-expect-error the guardian's name is required
      render('referral-received', 'guardian', 'email', referral),
      // @ts-expect-error staff do not get an SMS
      render('referral-reminder', 'staff', 'sms', { ...referral, decisionUrl: 'x', ageDays: 1 }),
      // @ts-expect-error the guardian's decision e-mail needs their name
      render('referral-accepted', 'guardian', 'email', referral),
      // @ts-expect-error the guardian gets no decision SMS
      render('referral-accepted', 'guardian', 'sms', { youngFirstName: 'Zoé' }),
      // @ts-expect-error the reminder needs the age of the referral
      render('referral-reminder', 'staff', 'email', { ...referral, decisionUrl: 'x' }),
    ];
    expect(typeof typeChecks).toBe('function');
  });
});

describe('decision messages', () => {
  const minor: ReferralForMessages = {
    reference: 'ORI-1A2B3C4D',
    programme: 'cjs',
    organisationName: 'Mission locale de Lens',
    prescriber: { email: 'sarah@ml-lens.example.org' },
    youngPerson: { firstName: 'Zoé', lastName: 'Lefèvre', birthDate: '2009-03-02', email: 'zoe@example.org', phone: '+33612345678', postalCode: '62300', town: 'Lens', qpv: true, situation: 'etudiant' },
    guardian: { firstName: 'Nadia', lastName: 'Lefèvre', email: 'nadia@example.org', phone: '+33798765432', relationship: 'mère' },
  };
  const toGuardian = (referral: ReferralForMessages, decision: Parameters<typeof decisionDrafts>[1]) => decisionDrafts(referral, decision).filter((d) => d.role === 'guardian');

  it.each(['accepted', 'refused', 'waitlisted'] as const)('e-mail the guardian of a minor when the referral is %s', (outcome) => {
    const drafts = toGuardian(minor, outcome === 'refused' ? { outcome, reasonCode: 'territory' } : { outcome });
    expect(drafts).toEqual([expect.objectContaining({ kind: `referral-${outcome}`, channel: 'email', to: 'nadia@example.org' })]);
    expect(drafts[0].subject).toContain(OUTCOME_LABELS[outcome]);
    expect(drafts[0].body).toMatch(/^Bonjour Nadia Lefèvre,/);
  });

  it('give the guardian the refusal reason only when the young person may read it, and never the team\'s messages', () => {
    const shown = toGuardian(minor, { outcome: 'refused', reasonCode: 'territory', messageToYoungPerson: 'À bientôt Zoé', messageToPrescriber: 'Note interne' })[0];
    expect(shown.body).toContain('Motif : ');
    expect(shown.body).not.toContain('À bientôt Zoé');
    expect(shown.body).not.toContain('Note interne');
    const hidden = toGuardian(minor, { outcome: 'refused', reasonCode: 'no-contact' })[0];
    expect(hidden.body).not.toContain('Motif');
  });

  it('write nothing to a guardian when the referral has none', () => {
    expect(toGuardian({ ...minor, guardian: undefined }, { outcome: 'accepted' })).toEqual([]);
  });
});

describe('consent and contract messages', () => {
  const vars = { ...referral, guardianName: 'Nadia Lefèvre', personalLink: '{{lien-tuteur}}' };

  it('give the guardian their personal link, by e-mail and SMS, for the consent and its reminder', () => {
    for (const kind of ['guardian-consent-request', 'guardian-consent-reminder'] as const) {
      expect(render(kind, 'guardian', 'email', vars).body).toContain('\n{{lien-tuteur}}\n');
      expect(render(kind, 'guardian', 'sms', vars).body).toMatch(/\{\{lien-tuteur\}\}$/);
    }
    expect(render('guardian-consent-reminder', 'guardian', 'email', vars).subject).toMatch(/^Rappel : /);
  });

  it("quote the guardian's comment on a refusal to staff only", () => {
    const staff = render('guardian-consent-refused', 'staff', 'email', { ...referral, staffUrl: 'https://example.org/x', comment: 'Pas cet été.' });
    expect(staff.body).toContain('Commentaire du représentant légal :\nPas cet été.');
    expect(render('guardian-consent-refused', 'young', 'email', referral).body).not.toContain('Pas cet été');
  });

  it('name the contract the young person is to read', () => {
    const email = render('contract-ready', 'young', 'email', { ...referral, personalLink: '{{lien-personnel}}', contractTitle: "Convention d'adhésion à la Coopérative Jeunesse de Services" });
    expect(email.body).toContain("Votre contrat est prêt : « Convention d'adhésion à la Coopérative Jeunesse de Services »");
    expect(email.body).toContain('{{lien-personnel}}');
  });
});
