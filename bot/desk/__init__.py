"""The safeguarding lead's desk: a signed-in web page, served by the gateway under /desk/, for reports, a child's
chronology, who saw what, the induction register and the questions the policy does not answer."""
