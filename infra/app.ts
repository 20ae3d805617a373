import { createParcoursApp } from './stack.js';

// `cdk synth|deploy [-c stage=prod]`: the stage comes from context, PARCOURS_STAGE or defaults to dev.
createParcoursApp().app.synth();
