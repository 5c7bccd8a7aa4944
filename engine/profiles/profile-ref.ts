/** A reference to a profile by exactly one of its identities, as API clients give it. */
export type ProfileRef = { profileId: string } | { userId: string } | { anonymousId: string } | { email: string };
