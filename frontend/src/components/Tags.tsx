// A project's tags: a coloured badge, and the manager (create, colour, rename, delete).
import { Badge, Button, ColorInput, Group, Modal, Stack, Table, Text, TextInput } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap, type Schemas } from "../api/client";
import { useTags } from "../api/queries";
import { ConfirmButton, FormError, Loading, ErrorMessage, fieldError } from "./common";

type Tag = Schemas["Tag"];

export const TAG_SWATCHES = ["#3d4db6", "#0aaddf", "#2f9e44", "#f08c00", "#e03131", "#ae3ec9", "#495057", "#fd7e14"];

/** Black or white text, whichever reads better on the tag's colour. */
function textOn(color: string): string {
  const hex = /^#?([0-9a-f]{6})$/i.exec(color)?.[1];
  if (!hex) return "#fff";
  const [r, g, b] = [0, 2, 4].map((at) => parseInt(hex.slice(at, at + 2), 16));
  return 0.299 * r + 0.587 * g + 0.114 * b > 160 ? "#111" : "#fff";
}

export function TagBadge({ tag }: { tag: Tag }) {
  const color = tag.color || "#495057";
  return (
    <Badge size="xs" radius="sm" style={{ background: color, color: textOn(color) }} data-testid={`tag-${tag.label}`}>
      {tag.label}
    </Badge>
  );
}

function TagForm({ projectId, tag, onDone }: { projectId: number; tag?: Tag; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [label, setLabel] = useState(tag?.label ?? "");
  const [color, setColor] = useState(tag?.color || TAG_SWATCHES[0]);
  const save = useMutation({
    mutationFn: () => {
      const path = { project_pk: String(projectId) };
      return tag
        ? unwrap(api.PATCH("/api/v1/projects/{project_pk}/tags/{id}/", { params: { path: { ...path, id: String(tag.id) } }, body: { label, color } }))
        : unwrap(api.POST("/api/v1/projects/{project_pk}/tags/", { params: { path }, body: { label, color } }));
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ["tags", projectId] });
      if (!tag) setLabel("");
      onDone();
    },
  });
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <Stack gap="xs">
        <Group align="flex-start" gap="xs" wrap="wrap">
          <TextInput
            label={tag ? `New name for ${tag.label}` : "New tag"}
            placeholder="release-2"
            value={label}
            onChange={(event) => setLabel(event.currentTarget.value)}
            error={fieldError(save.error, "label")}
            style={{ flex: 1, minWidth: 160 }}
          />
          <ColorInput
            label={tag ? `Colour of ${tag.label}` : "Colour"}
            value={color}
            onChange={setColor}
            swatches={TAG_SWATCHES}
            format="hex"
            w={150}
            error={fieldError(save.error, "color")}
          />
          <Button type="submit" mt={25} loading={save.isPending}>
            {tag ? "Save tag" : "Create tag"}
          </Button>
        </Group>
        <FormError error={save.error} fields={["label", "color"]} title={tag ? "Tag not saved" : "Tag not created"} />
      </Stack>
    </form>
  );
}

export function TagsModal({ projectId, opened, onClose }: { projectId: number; opened: boolean; onClose: () => void }) {
  const tags = useTags(projectId);
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<number | null>(null);
  return (
    <Modal opened={opened} onClose={onClose} title="Tags of this project" size="lg">
      <Stack>
        <Text size="sm" c="dimmed">
          Tags group features (by team, release, kind…); filter the list by them. Assign them on a feature's page. Changing tags
          needs the project's “Manage tags” permission.
        </Text>
        {tags.isPending && <Loading />}
        <ErrorMessage error={tags.error} title="Could not load the tags" />
        {tags.data && tags.data.length === 0 && <Text size="sm">No tags yet: create the first one below.</Text>}
        {tags.data && tags.data.length > 0 && (
          <Table>
            <Table.Tbody>
              {tags.data.map((tag) => (
                <Table.Tr key={tag.id}>
                  <Table.Td>
                    {editing === tag.id ? (
                      <TagForm projectId={projectId} tag={tag} onDone={() => setEditing(null)} />
                    ) : (
                      <TagBadge tag={tag} />
                    )}
                  </Table.Td>
                  <Table.Td ta="right">
                    <Group gap="xs" justify="flex-end" wrap="nowrap">
                      <Button size="xs" variant="default" onClick={() => setEditing(editing === tag.id ? null : tag.id)} aria-label={`Edit tag ${tag.label}`}>
                        {editing === tag.id ? "Cancel" : "Edit"}
                      </Button>
                      <ConfirmButton
                        size="xs"
                        label="Delete"
                        aria-label={`Delete tag ${tag.label}`}
                        title={`Delete the tag ${tag.label}?`}
                        message={`Features tagged ${tag.label} lose the tag; the features themselves stay.`}
                        onConfirm={async () => {
                          await unwrap(api.DELETE("/api/v1/projects/{project_pk}/tags/{id}/", { params: { path: { project_pk: String(projectId), id: String(tag.id) } } }));
                          await queryClient.invalidateQueries({ queryKey: ["tags", projectId] });
                          await queryClient.invalidateQueries({ queryKey: ["features", projectId] });
                        }}
                      />
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <TagForm projectId={projectId} onDone={() => {}} />
      </Stack>
    </Modal>
  );
}
