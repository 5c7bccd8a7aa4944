import { Router } from 'express';
import { invalidRequest } from '../errors.ts';
import { principalOf } from '../http/admin-auth.ts';
import { onlyParams, stringParam } from '../http/query-params.ts';
import { EntryExplainer, type EntryExplainerDeps, type ExplainRequest } from './explain-entry.ts';

/** "Why didn't this user enter?": `GET /journeys/{id}/explain?userId|anonymousId=…&messageId=…[&version=N]`. */
export function createExplainRoutes(deps: EntryExplainerDeps): Router {
  const router = Router();
  const explainer = new EntryExplainer(deps);
  router.get('/journeys/:id/explain', async (req, res) => {
    onlyParams(req, ['messageId', 'userId', 'anonymousId', 'version']);
    const messageId = stringParam(req, 'messageId');
    if (messageId === undefined) throw invalidRequest('messageId is required: the Segment messageId of the recorded event to evaluate', '?messageId');
    const userId = stringParam(req, 'userId');
    const anonymousId = stringParam(req, 'anonymousId');
    let person: ExplainRequest['person'];
    if (userId !== undefined && anonymousId === undefined) person = { userId };
    else if (anonymousId !== undefined && userId === undefined) person = { anonymousId };
    else throw invalidRequest('give exactly one of userId and anonymousId: the person whose entry to explain', userId === undefined ? '?userId' : '?anonymousId');
    const rawVersion = stringParam(req, 'version');
    if (rawVersion !== undefined && !/^[1-9]\d{0,8}$/.test(rawVersion)) throw invalidRequest('version must be a positive integer', '?version');
    const request: ExplainRequest = {
      journeyId: req.params['id']!, messageId, person, ...(rawVersion !== undefined ? { version: Number(rawVersion) } : {}),
    };
    res.json({ explain: await explainer.explain(principalOf(res).spaceId, request) });
  });
  return router;
}
