/** Leases in NATS KV: group membership with rendezvous hashing, and single leaders. */
export { hash53, rendezvousOwner } from "./hash.ts";
export { Membership, type MembershipOptions, type MembershipView } from "./membership.ts";
export { LeaderLease, type LeaderLeaseOptions } from "./leader.ts";
