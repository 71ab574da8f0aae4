import type { ReactNode } from "react";
import { Button, Code } from "@mantine/core";
import { Link, Navigate, Route, Routes, useLocation } from "react-router";
import { useAuth } from "./auth";
import { EmptyState } from "./components/common";
import { Layout } from "./components/Layout";
import { ApiKeysPage } from "./pages/ApiKeys";
import { AuditLogPage } from "./pages/AuditLog";
import { FeatureDetailPage } from "./pages/FeatureDetail";
import { FeaturesPage } from "./pages/Features";
import { HomePage } from "./pages/Home";
import { IdentitiesPage } from "./pages/Identities";
import { IdentityDetailPage } from "./pages/IdentityDetail";
import { LoginPage, SignupPage } from "./pages/Login";
import { MembersPage } from "./pages/Members";
import { OrganisationPermissionsPage } from "./pages/OrganisationPermissions";
import { OrganisationsPage } from "./pages/Organisations";
import { ProjectPermissionsPage } from "./pages/ProjectPermissions";
import { ProjectHomePage, ProjectSettingsPage } from "./pages/ProjectSettings";
import { ProjectsPage } from "./pages/Projects";
import { SdkKeysPage } from "./pages/SdkKeys";
import { SecurityPage } from "./pages/Security";
import { SegmentEditorPage } from "./pages/SegmentEditor";
import { SegmentsPage } from "./pages/Segments";
import { CompareEnvironmentsPage } from "./pages/Compare";
import { EnvironmentSettingsPage, OrganisationSettingsPage } from "./pages/Settings";

function SignedIn({ children }: { children: ReactNode }) {
  const { token } = useAuth();
  const location = useLocation();
  if (!token) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  return <Layout>{children}</Layout>;
}

const env = "/projects/:projectId/environments/:envKey";

export function App() {
  const screens: [string, ReactNode][] = [
    ["/", <HomePage />],
    ["/organisations", <OrganisationsPage />],
    ["/account/security", <SecurityPage />],
    ["/organisations/:orgId/projects", <ProjectsPage />],
    ["/organisations/:orgId/members", <MembersPage />],
    ["/organisations/:orgId/permissions", <OrganisationPermissionsPage />],
    ["/organisations/:orgId/api-keys", <ApiKeysPage />],
    ["/organisations/:orgId/audit", <AuditLogPage />],
    ["/organisations/:orgId/settings", <OrganisationSettingsPage />],
    ["/projects/:projectId/compare", <CompareEnvironmentsPage />],
    ["/projects/:projectId", <ProjectHomePage />],
    ["/projects/:projectId/settings", <ProjectSettingsPage />],
    ["/projects/:projectId/permissions", <ProjectPermissionsPage />],
    ["/projects/:projectId/audit", <AuditLogPage />],
    ["/projects/:projectId/segments", <SegmentsPage />],
    ["/projects/:projectId/segments/new", <SegmentEditorPage />],
    ["/projects/:projectId/segments/:segmentId", <SegmentEditorPage />],
    [`${env}/features`, <FeaturesPage />],
    [`${env}/features/:featureId`, <FeatureDetailPage />],
    [`${env}/identities`, <IdentitiesPage />],
    [`${env}/identities/:identityId`, <IdentityDetailPage />],
    [`${env}/sdk-keys`, <SdkKeysPage />],
    [`${env}/settings`, <EnvironmentSettingsPage />],
  ];
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/signup" element={<SignupPage />} />
      {screens.map(([path, element]) => (
        <Route key={path} path={path} element={<SignedIn>{element}</SignedIn>} />
      ))}
      <Route path="*" element={<SignedIn><NotFound /></SignedIn>} />
    </Routes>
  );
}

/** An address the dashboard does not know: say so, and offer the way home (no silent redirect). */
export function NotFound() {
  const location = useLocation();
  return (
    <EmptyState title="Page not found" action={<Button component={Link} to="/">Go to the dashboard home</Button>}>
      The dashboard has no page at <Code>{location.pathname}</Code>. The link may be old, or mistyped.
    </EmptyState>
  );
}
