import { BusinessUnit } from '../config/business-unit';
import { LoadScheduler } from '../loaders/load-scheduler';
import { LoadStatusService, LoadStatusView } from './load-status.service';

/**
 * triggerLoad: asks the scheduler for a pass (which never lets triggers pile up: see
 * LoadScheduler) and answers with the BU's status. Within one request, every trigger of a BU
 * after the first (aliases: 50 of them in one mutation) gets the first one's answer and asks for
 * nothing more: one request is one trigger per BU, whatever its shape.
 */
export class LoadTriggerService {
  /** Per request (its context object), the answer of each BU triggered; dropped with the request. */
  private readonly answers = new WeakMap<object, Map<string, Promise<LoadStatusView>>>();

  constructor(private readonly scheduler: LoadScheduler | null, private readonly status: LoadStatusService) {}

  trigger(bu: BusinessUnit, request: object): Promise<LoadStatusView> {
    if (!this.scheduler) throw new Error('this service process runs no loader');
    let byBu = this.answers.get(request);
    if (!byBu) this.answers.set(request, (byBu = new Map()));
    let answer = byBu.get(bu.code);
    if (!answer) {
      void this.scheduler.trigger(bu);
      answer = this.status.status(bu);
      byBu.set(bu.code, answer);
    }
    return answer;
  }
}
