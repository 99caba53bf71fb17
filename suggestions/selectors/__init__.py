"""Every read of the suggestion box, by audience: ``public`` (residents' pages: only public facts,
entries through their token), ``inbox`` (the handling firm's portal), ``stats`` (figures for the
bureau, the league table and the campaign report). Scoped through ``visible_to(user)`` like the rest
of the portal; other organisations' entries answer 404."""
