/** The single stylesheet: mobile first, system fonts, visible focus, WCAG AA contrast. */
export const appCss = String.raw`
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 1rem;
  line-height: 1.5;
  color: #1e1e1e;
  background: #f6f6f2;
  overflow-wrap: break-word;
}
a { color: #0b5394; text-underline-offset: 0.15em; }
a:hover { color: #073763; text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid #c25b00; outline-offset: 2px; }
main:focus, .panel:focus, .error-summary:focus { outline: none; }
.error-summary:focus, .panel:focus { box-shadow: 0 0 0 3px #c25b00; }
h1, h2, h3 { line-height: 1.25; margin: 1.5rem 0 0.75rem; }
h1 { font-size: 1.75rem; }
h2 { font-size: 1.35rem; }
h3 { font-size: 1.1rem; }
.wrap { max-width: 48rem; margin: 0 auto; padding: 0 1rem; }
main.wrap { padding-bottom: 3rem; }
.lead { font-size: 1.1rem; }
.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;
}
.skip-link { position: absolute; left: -999px; top: 0; background: #fff; padding: 0.5rem 1rem; z-index: 10; }
.skip-link:focus { left: 0.5rem; }

.site-header { background: #123d2f; color: #fff; }
.header-inner { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.25rem; padding-top: 0.75rem; padding-bottom: 0.75rem; }
.site-header a { color: #fff; }
.brand { font-weight: 700; font-size: 1.15rem; text-decoration: none; margin-right: auto; }
.brand span { font-weight: 400; }
.nav-list { display: flex; flex-wrap: wrap; gap: 0 1rem; list-style: none; margin: 0; padding: 0; }
.nav-list a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
.session { display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem 0.75rem; font-size: 0.95rem; width: 100%; }
/*
 * Links a thumb taps among a card's or a form's actions, and "Se déconnecter": 44 x 44 px at least, as the buttons.
 * The header's links too on a phone or a touch screen; with a mouse on a wide screen they keep 28 px rows (WCAG's
 * 24 px minimum), the header staying as it was.
 */
.session-logout, .item-actions a:not(.button), .actions a:not(.button), .load-more a:not(.button) {
  display: inline-flex; align-items: center; min-height: 2.75rem; min-width: 2.75rem;
}
.nav-list a { display: inline-flex; align-items: center; min-height: 1.75rem; }
@media (max-width: 40rem), (pointer: coarse) { .nav-list a { min-height: 2.75rem; min-width: 2.75rem; } }
/*
 * On a phone the header's links are one row that scrolls sideways (the staff's twelve wrapped in rows took half of a
 * 320-px phone's first screen at 28 px, and would take more at 44): the brand, that row and the session stay under a
 * third of the screen. No JavaScript.
 */
@media (max-width: 40rem) {
  .header-inner { gap: 0.25rem 1rem; padding-top: 0.5rem; padding-bottom: 0.5rem; }
  .site-header nav { margin: 0 -1rem; width: calc(100% + 2rem); }
  .nav-list {
    flex-wrap: nowrap; gap: 0 1rem; overflow-x: auto; overscroll-behavior-x: contain; scrollbar-width: thin;
    padding: 0 1rem; scroll-padding-inline: 1rem;
  }
  .nav-list li { flex: none; }
  .nav-list a { white-space: nowrap; }
  /* The account on one row beside "Se déconnecter": a long name ends in an ellipsis (screen readers read it whole). */
  .session { flex-wrap: nowrap; align-items: center; font-size: 0.9rem; }
  .session-name { flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .session-logout { flex: none; }
}
.site-footer { border-top: 1px solid #d0d0c8; color: #4a4a4a; font-size: 0.9rem; padding: 1rem 0 2rem; }

.cards { display: grid; gap: 1rem; }
@media (min-width: 40rem) { .cards { grid-template-columns: 1fr 1fr; } }
.card, .panel, .section {
  background: #fff; border: 1px solid #d0d0c8; border-radius: 0.5rem; padding: 1rem;
}
.card h2, .card h3, .panel h2, .section h2 { margin-top: 0; }
.link-list { padding-left: 1.25rem; }
.link-list li { margin: 0.35rem 0; }
.panel { margin: 1rem 0; }
.panel-success { border-left: 6px solid #1b7a3a; }
.panel-info { border-left: 6px solid #0b5394; }
.panel-warning { border-left: 6px solid #c25b00; }
.reference { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.loading { color: #4a4a4a; font-style: italic; }
.message-error { color: #b3261e; font-weight: 600; }
.breadcrumb { margin: 1rem 0 0; }

.form { margin-top: 1rem; }
fieldset { margin: 0; min-width: 0; }
.section { margin: 0 0 1.25rem; padding-top: 0.5rem; }
.section > legend { font-size: 1.25rem; font-weight: 700; padding: 0 0.35rem; }
.field { margin: 1rem 0; }
.field.group { border: 0; padding: 0; }
.field.group > legend, .field > label { display: block; font-weight: 600; margin-bottom: 0.25rem; padding: 0; }
.required, .optional { font-weight: 400; color: #4a4a4a; }
.hint { color: #4a4a4a; margin: 0 0 0.35rem; font-size: 0.95rem; }
/* Every typed-in control, the untyped <input> and time/month included: 16 px at least, or iOS zooms in on focus. */
input:not([type]), input[type="text"], input[type="email"], input[type="tel"], input[type="date"], input[type="time"], input[type="month"],
input[type="search"], input[type="url"], input[type="password"], select, textarea {
  display: block; width: 100%; max-width: 100%; font: inherit; font-size: 1rem; color: inherit;
  padding: 0.55rem 0.65rem; border: 2px solid #5c5c5c; border-radius: 0.3rem; background: #fff;
  min-height: 2.75rem;
}
input[type="date"], input[type="time"], input[type="month"] { max-width: 14rem; }
input[name$="postalCode"] { max-width: 8rem; }
textarea { resize: vertical; }
/*
 * A radio or checkbox is tapped through its label: 44 px high with its padding (the rows were 32 px apart, the labels
 * 24 px high). The box itself is 24 x 24 px (WCAG 2.2's minimum target; it was 22), centred on the label's first line,
 * and the label's box reaches back over the gap and the box's column, so that a tap anywhere on the row ticks it.
 */
.choice { display: grid; grid-template-columns: 1.5rem 1fr; gap: 0 0.6rem; align-items: start; margin: 0; }
.choice input { width: 1.5rem; height: 1.5rem; margin: 0.625rem 0 0; accent-color: #123d2f; position: relative; z-index: 1; }
.choice label { cursor: pointer; padding: 0.625rem 0; min-height: 2.75rem; position: relative; }
.choice label::before { content: ""; position: absolute; top: 0; bottom: 0; left: -2.1rem; right: 0; }
.choice-hint { grid-column: 2; margin-top: -0.35rem; }
[aria-invalid="true"] { border-color: #b3261e !important; }
.choice input[aria-invalid="true"] { outline: 2px solid #b3261e; outline-offset: 1px; }
.field-error { color: #b3261e; font-weight: 600; margin: 0 0 0.35rem; }
.field-error::before { content: "Erreur : "; }
.field-invalid { border-left: 4px solid #b3261e; padding-left: 0.75rem; }
.error-summary { border: 3px solid #b3261e; background: #fff; border-radius: 0.5rem; padding: 1rem; margin: 0 0 1.5rem; }
.error-summary h2 { margin-top: 0; color: #b3261e; }
.error-summary ul { padding-left: 1.25rem; margin-bottom: 0; }
.error-summary a { color: #b3261e; font-weight: 600; }
.actions { margin: 1.5rem 0; }
.button {
  display: inline-block; font: inherit; font-weight: 600; font-size: 1.05rem; line-height: 1.2;
  padding: 0.75rem 1.25rem; min-height: 2.75rem; border: 2px solid #123d2f; border-radius: 0.3rem;
  background: #123d2f; color: #fff; cursor: pointer; text-decoration: none;
}
a.button { color: #fff; }
.button:hover { background: #0a2a20; }
.button-secondary, a.button-secondary { background: #fff; color: #123d2f; }
.button-secondary:hover { background: #eef3ef; }
.button:disabled { opacity: 0.65; cursor: progress; }

.badge { display: inline-block; padding: 0.1rem 0.5rem; border-radius: 1rem; font-size: 0.9rem; font-weight: 600; background: #e4e9f2; color: #1e2f4d; }
.badge-initial { background: #e4e9f2; color: #1e2f4d; }
.badge-reminded { background: #fff0d6; color: #5c3b00; }
.badge-escalated { background: #fbe3e1; color: #7a1a14; }
.badge-waitlist { background: #ece4f5; color: #3d2166; }
.badge-eligible { background: #dcefe2; color: #14532b; }
.badge-check { background: #fff0d6; color: #5c3b00; }
.badge-kind { background: #fff; color: #1e2f4d; border: 1px solid #5c6b85; }
.badge-kind-incident { background: #fbe3e1; color: #7a1a14; }

.load-more { margin: 1rem 0; }
.item-list { list-style: none; padding: 0; margin: 1rem 0; display: grid; gap: 1rem; }
.item-list h2 { margin: 0 0 0.35rem; font-size: 1.2rem; }
.meta { display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; align-items: center; margin: 0 0 0.5rem; color: #3a3a3a; }
.facts { display: grid; grid-template-columns: minmax(7rem, max-content) 1fr; gap: 0.25rem 1rem; margin: 0.5rem 0; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.facts ul { margin: 0; padding-left: 1.1rem; }
@media (max-width: 30rem) { .facts { grid-template-columns: 1fr; } .facts dd { margin-bottom: 0.35rem; } }
.item-actions { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; margin-top: 0.75rem; }
.pre-line { white-space: pre-line; }
.card-incident { border-left: 6px solid #b3261e; }
.load-more { margin: 1rem 0; }
.load-more .message-error { margin: 0 0 0.5rem; }

/* Inbox filters: stacked on phones, side by side when there is room. */
.filters { display: flex; flex-wrap: wrap; gap: 0 1rem; align-items: flex-end; margin: 1rem 0; }
.filters .field { flex: 1 1 14rem; margin: 0.5rem 0; }
.filters-actions { margin: 0.5rem 0; }

table { width: 100%; border-collapse: collapse; background: #fff; margin: 1rem 0; }
caption { text-align: left; font-weight: 600; padding: 0.5rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.6rem; border-bottom: 1px solid #d0d0c8; }
.provider-id { overflow-wrap: anywhere; font-size: 0.9em; }
/* On a phone a table's rows are cards, and its caption one line above them (a caption left in the table layout was a
   column of a few words a line beside the cards' width). */
@media (max-width: 40rem) {
  table, caption, thead, tbody, tr, th, td { display: block; }
  thead tr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  tr { border: 1px solid #d0d0c8; border-radius: 0.5rem; margin-bottom: 0.75rem; padding: 0.25rem 0; background: #fff; }
  td { border: 0; padding: 0.3rem 0.75rem; }
  td::before { content: attr(data-label); display: block; font-weight: 600; font-size: 0.9rem; color: #3a3a3a; }
  /* A cell that is a link (an invoice's number, a person's name): the card's way in, 44 px high as the other links. */
  td > a:only-child { display: inline-flex; align-items: center; min-height: 2.75rem; }
}

/* Messages et contacts: wide tables, stacked below 64rem; one correction form per row. */
body[data-page="messages"] .wrap { max-width: 75rem; }
.fix-form .field { margin: 0 0 0.5rem; }
.fix-form .button { font-size: 1rem; padding: 0.55rem 0.9rem; }
.message-owner p { margin: 0; }
.message-owner .hint { margin-top: 0.35rem; }
@media (max-width: 64rem) {
  .table-wide, .table-wide caption, .table-wide thead, .table-wide tbody, .table-wide tr, .table-wide th, .table-wide td { display: block; }
  .table-wide thead tr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .table-wide tr { border: 1px solid #d0d0c8; border-radius: 0.5rem; margin-bottom: 0.75rem; padding: 0.25rem 0; background: #fff; }
  .table-wide td { border: 0; padding: 0.3rem 0.75rem; }
  .table-wide td::before { content: attr(data-label); display: block; font-weight: 600; font-size: 0.9rem; color: #3a3a3a; }
  .table-wide .fix-form { max-width: 28rem; }
}

.timeline { list-style: none; padding: 0; margin: 1rem 0; border-left: 3px solid #123d2f; }
.timeline li { position: relative; padding: 0 0 1rem 1.25rem; }
.timeline li::before { content: ""; position: absolute; left: -0.5rem; top: 0.35rem; width: 0.75rem; height: 0.75rem; border-radius: 50%; background: #123d2f; }
.timeline time { display: block; color: #3a3a3a; font-size: 0.95rem; }
.timeline p { margin: 0.15rem 0; }

/* "Mon parcours" and the guardian's page: one column on a phone, large targets. */
.steps { list-style: none; padding: 0; margin: 0 0 1rem; counter-reset: step; }
.step { border-left: 4px solid #d0d0c8; padding: 0.25rem 0 0.25rem 0.75rem; margin: 0.5rem 0; }
.step-current { border-left-color: #0b5394; }
.step-label { font-weight: 600; }
.badge-step-done { background: #dcefe2; color: #14532b; }
.badge-step-waiting { background: #fff0d6; color: #5c3b00; }
.badge-step-accepted { background: #dcefe2; color: #14532b; }
.badge-step-submitted { background: #e4e9f2; color: #1e2f4d; }
.badge-step-rejected { background: #fbe3e1; color: #7a1a14; }
.documents-list, .choices-list, .messages-list { list-style: none; padding: 0; display: grid; gap: 0.75rem; }
.upload-form input[type="file"] { display: block; width: 100%; margin: 0.5rem 0; font-size: 1rem; }
.upload-form progress { width: 100%; height: 1rem; }
.message-text { white-space: pre-line; }
.section { margin: 1rem 0; }
/* The activity launch: price lines added and removed on a phone, activity statuses, committee roles. */
.price-lines { list-style: none; padding: 0; margin: 0.5rem 0; display: grid; gap: 0.75rem; }
.price-line fieldset { border: 0; padding: 0; }
.price-line-title { font-weight: 700; }
/* A declaration's lines on a phone: no list number, card and fieldset border nested in the card of the form, each of
   which took width from the line's fields (its price-list choice was cut after a few words at 360 px). */
.declaration-lines { list-style: none; padding: 0; margin: 0.5rem 0; display: grid; gap: 0.75rem; }
.declaration-lines > .card { padding: 0.75rem; }
.declaration-line fieldset { border: 0; padding: 0; }
.declaration-line .line-title { font-weight: 700; padding: 0; }
.badge-activity-draft { background: #e4e9f2; color: #1e2f4d; }
.badge-activity-awaiting-approval { background: #fff0d6; color: #5c3b00; }
.badge-activity-active { background: #dcefe2; color: #14532b; }
.badge-activity-paused { background: #ece4f5; color: #3d2166; }
.badge-activity-closed { background: #eeeeea; color: #3a3a3a; }
.price-version summary { cursor: pointer; font-weight: 600; margin: 0.5rem 0; }
.role-form { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
.role-form select { width: auto; }
input[type="number"] { font: inherit; padding: 0.55rem 0.65rem; border: 2px solid #5c5c5c; border-radius: 0.3rem; min-height: 2.75rem; max-width: 8rem; }
`;
