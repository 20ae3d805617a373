import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { StageConfig } from '../config.js';

/** The sparse and overloaded indexes of the single-table design (docs/architecture.md). */
export const APP_TABLE_INDEXES = ['gsi1', 'gsi2', 'gsi3'] as const;

export interface AppTableProps {
  config: StageConfig;
  encryptionKey: kms.IKey;
}

/**
 * The one DynamoDB table: `pk`/`sk`, three GSIs `<name>pk`/`<name>sk` projecting ALL, TTL on
 * `expiresAt`, on demand, point-in-time recovery, encrypted with the project's key.
 * Its schema must stay equal to infra/local-app/tables.ts (checked by test/infra/stack.test.ts).
 */
export class AppTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: AppTableProps) {
    super(scope, id);
    const retain = props.config.removalPolicy === 'retain';
    this.table = new dynamodb.Table(this, 'Default', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      deletionProtection: props.config.deletionProtection,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    for (const name of APP_TABLE_INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: name,
        partitionKey: { name: `${name}pk`, type: dynamodb.AttributeType.STRING },
        sortKey: { name: `${name}sk`, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
