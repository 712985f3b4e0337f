/*
 * The runtime's entry for aws-lambda-ric 3.x (nodejs20.x), as /var/runtime/index.mjs is on AWS: run the client
 * for the handler in the task root. (4.x starts itself when imported.)
 */
const client = process.env._LAMBDA_LOCAL_RIC;
delete process.env._LAMBDA_LOCAL_RIC;
const { run } = await import(client);
await run(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);
