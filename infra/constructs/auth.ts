import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { StageConfig } from '../config.js';

/** Cognito groups, as they appear in the ID token's `cognito:groups` claim. */
export const GROUPS = { staff: 'staff', prescriber: 'prescriber' } as const;

export interface ParcoursAuthProps {
  config: StageConfig;
  /** Base URL of the pages served by the API; its `/auth/callback` is always an allowed callback. */
  appBaseUrl: string;
}

/**
 * Staff and prescribers sign in with Cognito: no self sign-up (accounts are created by the
 * cooperative), email as user name, TOTP MFA required, threat protection, and the prescriber's
 * organisation as custom attributes that only an administrator can write.
 */
export class ParcoursAuth extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;

  constructor(scope: Construct, id: string, props: ParcoursAuthProps) {
    super(scope, id);
    const { config } = props;

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      userInvitation: {
        emailSubject: 'Votre accès à CoopConnexion Parcours',
        emailBody: 'Bonjour,<br>un compte a été ouvert pour vous sur CoopConnexion Parcours.<br>Identifiant : {username}<br>Mot de passe provisoire : {####}',
      },
      userVerification: {
        emailSubject: 'CoopConnexion Parcours : vérification de votre adresse',
        emailBody: 'Votre code de vérification : {####}',
      },
      keepOriginal: { email: true },
      standardAttributes: {
        email: { required: true, mutable: true },
        fullname: { required: false, mutable: true },
      },
      customAttributes: {
        organisation: new cognito.StringAttribute({ minLen: 1, maxLen: 64, mutable: true }),
        organisation_name: new cognito.StringAttribute({ minLen: 1, maxLen: 200, mutable: true }),
      },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      // Required for everyone in the pool (decision 18): staff see every young person's data, and Cognito
      // sets MFA per pool, not per group. TOTP only: no SMS codes to pay for or to intercept.
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: config.deletionProtection,
      removalPolicy: config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.userPool.addGroup('StaffGroup', { groupName: GROUPS.staff, description: 'Equipe permanente de la coopérative' });
    this.userPool.addGroup('PrescriberGroup', { groupName: GROUPS.prescriber, description: 'Prescripteurs des structures partenaires' });

    const origins = [props.appBaseUrl, ...config.appUrls, ...(config.stage === 'prod' ? [] : [config.localAppUrl])];
    this.client = this.userPool.addClient('PagesClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        // The pages exchange the code with PKCE (public client, no secret).
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: origins.map((origin) => `${origin}/auth/callback`),
        logoutUrls: origins.map((origin) => `${origin}/`),
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      readAttributes: new cognito.ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true, fullname: true })
        .withCustomAttributes('organisation', 'organisation_name'),
      // The organisation attributes are left out: only an administrator may change them.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true, fullname: true }),
    });

    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: config.authDomainPrefix } });
  }

  /** `https://<prefix>.auth.<region>.amazoncognito.com`, where the pages send the user to sign in. */
  get authBaseUrl(): string {
    return this.domain.baseUrl();
  }
}
