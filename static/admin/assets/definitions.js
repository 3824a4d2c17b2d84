// What the reports, the wallboard and the call history count, in the words of
// docs/definitions.md (tests/js/definitions.test.mjs checks that the doc holds each one
// verbatim). DOM-free: counted-help.js draws a page's "How these are counted".
//
// The computations these describe: server/store/reports.py and server/telephony/reports.py
// (reports), server/telephony/wallboard.py (wallboard), server/telephony/history.py
// outcome_of and server/store/call_history.py outcome_clause (the call history).

/** Every definition: the term as a page shows it, and its words. */
export const DEFINITIONS = {
  offered: {
    term: 'Offered',
    text: 'An inbound call that started in the period, whatever became of it: answered, abandoned, missed, or still waiting. It counts once, in the hour or day it started in, with the last queue and agent on its record.',
  },
  answeredReports: {
    term: 'Answered',
    text: 'An inbound call an agent picked up, whether it has ended or is still connected.',
  },
  answeredWallboard: {
    term: 'Answered',
    text: 'A queued inbound call picked up by an agent in the last hour; it counts from the moment of the answer, while still connected.',
  },
  answeredHistory: {
    term: 'Answered',
    text: 'An ended call that was picked up: by an agent (inbound) or by the callee (outbound). A call still connected is in progress, not answered, so while calls are connected the reports count more answered calls than the history shows.',
  },
  abandoned: {
    term: 'Abandoned',
    text: 'An inbound call whose caller hung up before anyone answered.',
  },
  abandonedWallboard: {
    term: 'Abandoned',
    text: 'A queued inbound call whose wait ended unanswered in the last hour: the caller hung up, or SIVO ended it at the queue’s maximum wait. The reports split these into abandoned and missed.',
  },
  missed: {
    term: 'Missed',
    text: 'An inbound call that ended unanswered without the caller hanging up: SIVO ended it (a wait or ring timeout, no route).',
  },
  unanswered: {
    term: 'Unanswered',
    text: 'An outbound call that ended before the callee answered. Only the call history shows it; the reports count every outbound call under Outbound, answered or not.',
  },
  inProgress: {
    term: 'In progress',
    text: 'A call that has not ended: waiting, ringing, connected or on hold.',
  },
  serviceLevelReports: {
    term: 'Service level',
    text: 'Answered within the threshold, divided by answered + abandoned + missed, over the inbound calls that started in the chosen period. Calls still waiting are left out until they are answered or end.',
  },
  serviceLevelWallboard: {
    term: 'Service level',
    text: 'Answered within the threshold, divided by answered + abandoned, over the queued inbound calls whose wait ended in the last hour: a rolling hour, by when the wait ended, not when the call started.',
  },
  threshold: {
    term: 'Threshold',
    text: 'The tenant’s service level threshold (Settings: one of 5, 10, 15, 20, 25, 30 or 45 seconds, 1, 1.5, 2, 3, 4, 5 or 10 minutes; 20 seconds unless changed). A call is answered within it when its wait is at most the threshold. A changed threshold applies at once, to past calls too.',
  },
  wait: {
    term: 'Wait time',
    text: 'From the call’s first entry into a queue (its start, if it never queued) to its first answer; for a call never answered, to its end. Average wait counts answered calls only. The wallboard’s longest wait is of the calls waiting now, each since it entered the queue it waits in.',
  },
  handle: {
    term: 'Handle time',
    text: 'From the answer to the hang-up, hold included, after-call work not included (the call history’s Talk). Average handle and average hold count the answered inbound calls that have ended.',
  },
  afterCallWork: {
    term: 'After-call work',
    text: 'The wrap-up after an agent’s last call ends, before the next ring: the queue’s wrap-up (30 seconds unless changed) after an inbound call, the tenant’s outbound wrap-up (none unless set) after an outbound one; it ends early if the agent ends it. The wallboard shows who is in it and until when; the reports do not count it, since SIVO does not record how long each one lasted.',
  },
};

/** Which definitions each page explains, in the order it shows them. */
export const PAGE_DEFINITIONS = {
  reports: ['offered', 'answeredReports', 'abandoned', 'missed', 'serviceLevelReports', 'threshold', 'wait', 'handle', 'afterCallWork'],
  wallboard: ['serviceLevelWallboard', 'answeredWallboard', 'abandonedWallboard', 'threshold', 'wait', 'afterCallWork'],
  calls: ['inProgress', 'answeredHistory', 'abandoned', 'missed', 'unanswered', 'wait', 'handle'],
};

/** A page's definitions as [term, text] pairs. */
export function definitionsFor(page) {
  const keys = PAGE_DEFINITIONS[page];
  if (!keys) throw new Error(`no definitions for the page ${page}`);
  return keys.map((key) => [DEFINITIONS[key].term, DEFINITIONS[key].text]);
}
