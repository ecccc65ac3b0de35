"""R2 customer survey and gifts: campaign, links, invitations, answers, summary, staff reports,
gift shipments."""
